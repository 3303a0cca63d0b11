// The page's mrkdwn renderer, run in Chromium as the page runs it: formatting as Slack shows it,
// and nothing a message says can become markup, script or a non-web link.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYGROUND_PEOPLE } from 'droplet-bot-sandbox';
import { startPlayground, type Playground } from 'droplet-bot-sandbox';
import { SANDBOX_CHANNELS, Workspace } from 'droplet-bot-sandbox';
import { launchBrowser } from './support.js';

let playground: Playground;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  playground = await startPlayground({
    workspace: new Workspace(),
    botToken: `xoxb-${randomBytes(6).toString('hex')}`,
    signingSecret: randomBytes(16).toString('hex'),
    people: PLAYGROUND_PEOPLE,
    channel: SANDBOX_CHANNELS.ops,
    banner: 'test',
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(`${playground.url}/`);
});

afterAll(async () => {
  await browser?.close();
  await playground?.close();
});

interface Rendered {
  html: string;
  text: string;
  tags: string[];
  links: string[];
}

/**
 * Renders `text` with the page's own module and describes the DOM it produces. The script is a
 * string because vitest would rewrite an import() written here into something the page lacks.
 */
async function render(text: string): Promise<Rendered> {
  return page.evaluate(`(async (input) => {
    const { mrkdwn } = await import('/assets/mrkdwn.js');
    const out = mrkdwn(input, { user: (id) => (id === 'U0ALICE' ? 'Alice Admin' : undefined), channel: () => 'ops' });
    const box = document.createElement('div');
    box.innerHTML = out;
    return {
      html: out,
      text: box.textContent ?? '',
      tags: [...box.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
      links: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? ''),
    };
  })(${JSON.stringify(text)})`);
}

describe('mrkdwn in the page', () => {
  it('formats bold, italic, strike, code, quotes, mentions, channels, links and emoji', async () => {
    expect(await render('*bold* _italic_ ~gone~ `x*y*`')).toMatchObject({ text: 'bold italic gone x*y*', tags: ['strong', 'em', 'del', 'code'] });
    expect((await render('*bold _both_*')).html).toBe('<strong>bold <em>both</em></strong>');
    expect((await render('<@U0ALICE> and <@U0NOBODY> in <#C0OPS> and <!here>')).text).toBe('@Alice Admin and @U0NOBODY in #ops and @here');
    expect(await render('<https://example.com/a?b=1&amp;c=2|the docs>')).toMatchObject({ text: 'the docs', links: ['https://example.com/a?b=1&c=2'] });
    expect((await render(':white_check_mark: done :not_an_emoji:')).text).toBe('✅ done :not_an_emoji:');
    expect(await render('&gt; quoted\nnext')).toMatchObject({ text: 'quotednext', tags: ['blockquote'] });
    expect(await render('line one\nline two')).toMatchObject({ tags: ['br'] });
    expect(await render('```\nlet a = 1 < 2;\n```')).toMatchObject({ text: 'let a = 1 < 2;\n', tags: ['pre'] });
  });

  it('does not format inside words, as Slack does not', async () => {
    expect((await render('a*b*c snake_case_name 2*3*4')).tags).toEqual([]);
  });

  it('shows Slack-escaped text as the characters it stands for, once', async () => {
    expect(await render('&lt;b&gt;hi&lt;/b&gt; &amp; &amp;lt;')).toMatchObject({ text: '<b>hi</b> & &lt;', tags: [] });
  });

  it('never turns message text into markup, script or a non-web link', async () => {
    for (const attack of [
      '<img src=x onerror=alert(1)>',
      '<script>alert(1)</script>',
      '<javascript:alert(1)|click me>',
      '<https://x.test/"><img src=x onerror=alert(1)>|label>',
      '<https://x.test/|<img src=x>>',
      '*<img src=x onerror=alert(1)>*',
      '`<img src=x onerror=alert(1)>`',
      '<@U0ALICE|"><img src=x>>',
      '\u00000\u0000 placeholder forgery',
    ]) {
      const out = await render(attack);
      expect(out.tags.filter((t) => !['a', 'strong', 'em', 'code', 'span', 'br'].includes(t)), attack).toEqual([]);
      for (const href of out.links) expect(href, attack).toMatch(/^https:\/\//);
    }
    expect((await render('<javascript:alert(1)|click me>')).links).toEqual([]);
  });
});
