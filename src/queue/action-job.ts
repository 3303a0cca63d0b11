// The BullMQ queue that carries action jobs (the job itself is domain/job.ts).
export const ACTION_QUEUE = 'droplet-actions';
