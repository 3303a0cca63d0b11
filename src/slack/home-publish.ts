// One publish of a person's Home tab, from a receiver or a worker. Publishes can cross (a receiver
// still reading DigitalOcean while a worker publishes a newer state), so each replaces only the
// version it read after: it sends the hash Slack gave the last publish, and on hash_conflict reads
// everything again. The last try goes unguarded, so a hash that was lost cannot stop the tab.
// A worker's publish that would show exactly what the tab shows already is not made: a digest of
// the last view is kept, cleared before each publish and written only once Slack has answered, so
// a publish whose answer was lost is never taken for the tab's content. The notice at the top (what
// became of the person's click) is left out of the digest, so a worker does not publish only to
// take it away.
import { createHash } from 'node:crypto';
import type { HomeViewers } from '../store/home-viewers.js';
import { homeModel, type HomeSources, type HomeState } from './home-model.js';
import { homeView, type HomeModel } from './renderers/home-view.js';

function digestOf(model: HomeModel): string {
  const { notice: _notice, ...rest } = model;
  return createHash('sha256').update(JSON.stringify(homeView(rest))).digest('base64url');
}

export interface PublishClient {
  views: { publish(args: { user_id: string; view: ReturnType<typeof homeView>; hash?: string }): Promise<{ view?: { hash?: string } }> };
}

const TRIES = 3;

function conflict(err: unknown): boolean {
  return (err as { data?: { error?: string } }).data?.error === 'hash_conflict';
}

/** `opened`: the person opened or used the tab (a worker's refresh is not). */
export async function publishHome(client: PublishClient, src: HomeSources, viewers: Pick<HomeViewers, 'placeOf' | 'remember' | 'forgetDigest'> | undefined, user: string, state: HomeState, opened: boolean): Promise<HomeModel> {
  for (let attempt = 1; ; attempt++) {
    const before = await viewers?.placeOf(user);
    const hash = attempt < TRIES ? before?.hash : undefined;
    const model = await homeModel(src, user, state);
    const digest = digestOf(model);
    // The person did not ask, and nothing they would see changed.
    if (!opened && before?.digest === digest) return model;
    await viewers?.forgetDigest(user);
    try {
      const answer = await client.views.publish({ user_id: user, view: homeView(model), ...(hash ? { hash } : {}) });
      const place = { page: model.page, ...(model.filter ? { filter: model.filter } : {}), ...(answer.view?.hash ? { hash: answer.view.hash } : {}), digest };
      await viewers?.remember(user, place, opened, before?.hash);
      return model;
    } catch (err) {
      if (!conflict(err) || attempt >= TRIES) throw err;
    }
  }
}
