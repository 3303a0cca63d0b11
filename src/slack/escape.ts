// Kept where the Slack builders have always found it; the rule itself is in domain/chat-text.ts.
export { code, escapeText } from '../domain/chat-text.js';
