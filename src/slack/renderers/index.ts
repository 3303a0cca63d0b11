// The request use cases' Renderer, in Block Kit: the message builders of messages.ts and
// approval-messages.ts behind the interface requests/ports.ts owns.
import type { Renderer } from '../../requests/ports.js';
import { approvalDecidedMessage, approvalRequestMessage, approvalRootMessage, approvalThreadLine } from './approval-messages.js';
import { rootMessage, threadStatus, unresolvedMessage } from './messages.js';
import { nothingToDoText } from './procedure-messages.js';

export const slackRenderer: Renderer = {
  root: rootMessage,
  approvalRoot: approvalRootMessage,
  approvalRequest: approvalRequestMessage,
  approvalDecided: approvalDecidedMessage,
  approvalThreadLine,
  threadStatus,
  unresolved: (result, verb) => unresolvedMessage(result, verb).text,
  nothingToDo: nothingToDoText,
};
