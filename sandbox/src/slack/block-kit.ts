// What Slack does to Block Kit on the way in: reject what breaks its documented limits (so a bot
// bug shows up here rather than in a real workspace), and fill in the block_id / action_id values
// Slack generates when a block or element omits them (interaction payloads always carry both).
// Limits: /work/shared/reference/slack/LIMITS.md. Messages follow Slack's
// `[ERROR] … [json-pointer:/…]` style from `response_metadata.messages`.
import { shortId } from './ids.js';
import type { JsonObject } from './workspace-types.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: string[] = [];

  maxChars(value: unknown, max: number, pointer: string): void {
    if (typeof value === 'string' && value.length > max) {
      this.list.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${pointer}]`);
    }
  }

  /** For composition text objects `{ type, text }`: checks the inner `text`. */
  maxText(obj: unknown, max: number, pointer: string): void {
    if (isObject(obj)) this.maxChars(obj.text, max, `${pointer}/text`);
  }

  maxItems(value: unknown, max: number, pointer: string): void {
    if (Array.isArray(value) && value.length > max) {
      this.list.push(`[ERROR] no more than ${max} items allowed [json-pointer:${pointer}]`);
    }
  }

  missing(field: string, pointer: string): void {
    this.list.push(`[ERROR] missing required field: ${field} [json-pointer:${pointer}]`);
  }
}

function checkElement(p: Problems, el: unknown, ptr: string): void {
  if (!isObject(el)) return;
  p.maxChars(el.action_id, 255, `${ptr}/action_id`);
  if (el.type === 'button') {
    p.maxText(el.text, 75, `${ptr}/text`);
    p.maxChars(el.value, 2000, `${ptr}/value`);
    p.maxChars(el.url, 3000, `${ptr}/url`);
  }
  if (isObject(el.confirm)) {
    p.maxText(el.confirm.title, 100, `${ptr}/confirm/title`);
    p.maxText(el.confirm.text, 300, `${ptr}/confirm/text`);
    p.maxText(el.confirm.confirm, 30, `${ptr}/confirm/confirm`);
    p.maxText(el.confirm.deny, 30, `${ptr}/confirm/deny`);
  }
  if (el.type === 'plain_text_input' && typeof el.min_length === 'number' && el.min_length > 3000) {
    p.list.push(`[ERROR] must be at most 3000 [json-pointer:${ptr}/min_length]`);
  }
}

function checkBlocks(p: Problems, blocks: unknown[], ptr: string, maxBlocks: number): void {
  p.maxItems(blocks, maxBlocks, ptr);
  blocks.forEach((block, i) => {
    const at = `${ptr}/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') return p.missing('type', at);
    p.maxChars(block.block_id, 255, `${at}/block_id`);
    switch (block.type) {
      case 'section':
        p.maxText(block.text, 3000, `${at}/text`);
        p.maxItems(block.fields, 10, `${at}/fields`);
        if (Array.isArray(block.fields)) block.fields.forEach((f, j) => p.maxText(f, 2000, `${at}/fields/${j}`));
        checkElement(p, block.accessory, `${at}/accessory`);
        break;
      case 'header':
        p.maxText(block.text, 150, `${at}/text`);
        break;
      case 'actions':
        p.maxItems(block.elements, 25, `${at}/elements`);
        if (Array.isArray(block.elements)) block.elements.forEach((el, j) => checkElement(p, el, `${at}/elements/${j}`));
        break;
      case 'context':
        p.maxItems(block.elements, 10, `${at}/elements`);
        break;
      case 'input':
        p.maxText(block.label, 2000, `${at}/label`);
        p.maxText(block.hint, 2000, `${at}/hint`);
        checkElement(p, block.element, `${at}/element`);
        break;
    }
  });
}

/** Problems with a message's blocks (at most 50); empty when Slack would accept them. */
export function messageBlockProblems(blocks: unknown[]): string[] {
  const p = new Problems();
  checkBlocks(p, blocks, '/blocks', 50);
  return p.list;
}

/** Problems with the `view` argument of views.publish (a Home tab); empty when Slack would accept it. */
export function homeViewProblems(view: JsonObject): string[] {
  const p = new Problems();
  if (view.type !== 'home') p.list.push('[ERROR] must be one of the following: home [json-pointer:/view/type]');
  p.maxChars(view.private_metadata, 3000, '/view/private_metadata');
  p.maxChars(view.callback_id, 255, '/view/callback_id');
  p.maxChars(view.external_id, 255, '/view/external_id');
  if (!Array.isArray(view.blocks)) p.missing('blocks', '/view');
  else checkBlocks(p, view.blocks, '/view/blocks', 100);
  return p.list;
}

/** Problems with a `view` argument of views.open/push/update; empty when Slack would accept it. */
export function viewProblems(view: JsonObject): string[] {
  const p = new Problems();
  if (view.type !== 'modal') {
    // A Home tab goes through views.publish (homeViewProblems).
    p.list.push('[ERROR] must be one of the following: modal [json-pointer:/view/type]');
  }
  if (view.title === undefined) p.missing('title', '/view');
  p.maxText(view.title, 24, '/view/title');
  p.maxText(view.submit, 24, '/view/submit');
  p.maxText(view.close, 24, '/view/close');
  p.maxChars(view.private_metadata, 3000, '/view/private_metadata');
  p.maxChars(view.callback_id, 255, '/view/callback_id');
  p.maxChars(view.external_id, 255, '/view/external_id');
  if (!Array.isArray(view.blocks)) {
    p.missing('blocks', '/view');
  } else {
    checkBlocks(p, view.blocks, '/view/blocks', 100);
    const hasInput = view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && view.submit == null) {
      p.list.push('[ERROR] must provide submit if view contains input blocks [json-pointer:/view/submit]');
    }
  }
  return p.list;
}

function withActionId(el: unknown): unknown {
  return isObject(el) && typeof el.action_id !== 'string' && el.type !== 'image' ? { ...el, action_id: shortId() } : el;
}

/** A copy of `blocks` with the block_id / action_id values Slack would have generated. */
export function normalizeBlocks(blocks: JsonObject[]): JsonObject[] {
  return blocks.map((raw) => {
    const block: JsonObject = structuredClone(raw);
    if (typeof block.block_id !== 'string') block.block_id = shortId();
    if (block.type === 'actions' && Array.isArray(block.elements)) block.elements = block.elements.map(withActionId);
    if (block.type === 'section' && block.accessory !== undefined) block.accessory = withActionId(block.accessory);
    if (block.type === 'input' && block.element !== undefined) block.element = withActionId(block.element);
    return block;
  });
}

/** Slack numbers a message's attachments from 1. */
export function normalizeAttachments(attachments: JsonObject[]): JsonObject[] {
  return attachments.map((a, i) => ({ id: i + 1, ...structuredClone(a) }));
}
