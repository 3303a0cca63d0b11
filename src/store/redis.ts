// Redis connections. The receiving side fails fast when Redis is away (no offline queue), so a
// command is answered at once instead of hanging; workers wait and reconnect.
import { Redis, type RedisOptions } from 'ioredis';

export function connect(url: string, role: 'producer' | 'worker', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
    ...extra,
  });
}

/** Redis's clock in ms: one clock for every process, whatever each host's own says. */
export async function redisNow(redis: Pick<Redis, 'time'>): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Resolves once the connection is ready; BullMQ must not start on a producer connection before that. */
export async function whenReady(redis: Redis, onWait?: () => void): Promise<void> {
  if (redis.status === 'ready') return;
  onWait?.();
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      redis.off('end', ended);
      resolve();
    };
    const ended = () => {
      redis.off('ready', ready);
      reject(new Error('Redis connection closed before it was ready'));
    };
    redis.once('ready', ready);
    redis.once('end', ended);
  });
}
