// Slack reports failures as `{ ok: false, error: '<code>' }`; this carries that code (and any extra
// fields Slack adds, e.g. `needed`/`provided` or `response_metadata.messages`) from the workspace
// model up to the HTTP layer, so the playground gets the same codes the Web API would send.

export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';

  constructor(
    /** Slack's error code, e.g. `message_not_found`. */
    readonly code: string,
    /** Extra top-level fields of the error body. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }

  /** `invalid_arguments` with Slack's `[ERROR] … [json-pointer:…]` messages. */
  static invalidArguments(messages: string[]): SlackApiError {
    return new SlackApiError('invalid_arguments', { response_metadata: { messages } });
  }
}
