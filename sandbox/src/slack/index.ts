// Fake Slack for tests and the local playground: a Web API simulator over an in-memory workspace,
// plus signed "Slack → bot" request bodies.
export { startSlackSimulator, type SlackSimulator, type SlackSimulatorOptions } from './simulator.js';
export { Workspace, DEFAULT_BOT_SCOPES, compareTs, type WorkspaceOptions, type PostMessageInput, type PostEphemeralInput } from './workspace.js';
export { ViewStore } from './view-store.js';
export { ResponseUrlStore, type ResponseUrlRecord, type ResponseUrlLimits } from './response-urls.js';
export { createSlackRequestHandler, RESPONSE_URL_PATH, type ApiCall, type SlackRequestHandlerOptions } from './web-api-server.js';
export { WEB_API_METHODS, type MethodSpec, type MethodContext } from './web-api-methods.js';
export {
  SocketModeServer,
  SocketModeAckTimeout,
  SOCKET_MODE_PATH,
  type SocketModeOptions,
  type SocketModeEnvelope,
  type SocketModeAck,
  type EnvelopeType,
  type SendOptions,
} from './socket-mode.js';
export { FaultInjector, ANY_METHOD, type FailureReply } from './fault-injection.js';
export { SlackApiError } from './errors.js';
export { messageBlockProblems, viewProblems } from './block-kit.js';
export {
  SANDBOX_TEAM,
  SANDBOX_BOT,
  SANDBOX_USERS,
  SANDBOX_CHANNELS,
  SANDBOX_USERGROUPS,
  DEFAULT_SEED,
  type UserInput,
  type ChannelInput,
  type UserGroupInput,
} from './seed.js';
export { signSlackRequest, type SlackSignatureHeaders } from './sign.js';
export { sendToBot, type BotReply } from './send-to-bot.js';
export {
  slashCommandBody,
  blockActionsBody,
  blockActionsPayload,
  viewSubmissionBody,
  viewSubmissionPayload,
  viewClosedBody,
  viewClosedPayload,
  blockSuggestionBody,
  blockSuggestionPayload,
  appHomeOpenedBody,
  globalShortcutBody,
  globalShortcutPayload,
  messageShortcutBody,
  messageShortcutPayload,
  interactionBody,
  SANDBOX_VERIFICATION_TOKEN,
  DEFAULT_COMMAND,
  type SlashCommandFields,
  type BlockActionsFields,
  type ViewSubmissionFields,
  type ViewClosedFields,
  type BlockSuggestionFields,
  type AppHomeOpenedFields,
  type GlobalShortcutFields,
  type MessageShortcutFields,
  type ActionInput,
  type InteractionBase,
} from './payloads.js';
export type * from './workspace-types.js';
