// The parts of DigitalOcean's response objects that the bot reads.

export type ActionStatus = 'in-progress' | 'completed' | 'errored';

export interface Action {
  id: number;
  status: ActionStatus;
  type: string;
  started_at: string;
  completed_at: string | null;
  resource_id: number | null;
  resource_type: string;
  region_slug: string | null;
}

export interface Droplet {
  id: number;
  name: string;
  status: 'new' | 'active' | 'off' | 'archive';
  memory: number;
  vcpus: number;
  disk: number;
  locked: boolean;
  size_slug: string;
  region: { slug: string; name: string };
  image: { id: number; name?: string; slug?: string | null; distribution?: string };
  tags?: string[];
  features?: string[];
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix seconds at which the oldest counted request leaves the hourly window. */
  reset: number;
}
