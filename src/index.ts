// The bot's public entry: what another package (the sandbox, an embedding app) may build on.
// Nothing under src/ imports the sandbox; the sandbox imports only this.
export { startBot, type BotOptions, type RunningBot } from './bot.js';
export { ConfigError, loadConfig, type Config } from './config.js';
export { createLogger, redactUrl, urlPassword, type Logger } from './log.js';
export { stopOnSignal } from './stop-on-signal.js';
export { roleMapSchema, type RoleMap } from './domain/policy.js';
