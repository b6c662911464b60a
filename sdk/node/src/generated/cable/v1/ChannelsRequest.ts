// Original file: proto/cable/v1/publisher.proto


/**
 * The server API (docs/operations.md, "Server API"): what runs right now,
 * gathered from every live gateway and service over the control bus.
 */
export interface ChannelsRequest {
  /**
   * Only streams whose name matches this glob (fnmatch(3): `*`, `?`,
   * `[...]`, `\` escapes the next character); empty: every stream.
   * Internal streams (names starting with `$`: "$state:…", "$presence:…")
   * only for a pattern that starts with `$` too. At most 1,024 bytes of
   * valid UTF-8; an unterminated `[` or a trailing `\` is
   * INVALID_ARGUMENT.
   */
  'pattern'?: (string);
}

/**
 * The server API (docs/operations.md, "Server API"): what runs right now,
 * gathered from every live gateway and service over the control bus.
 */
export interface ChannelsRequest__Output {
  /**
   * Only streams whose name matches this glob (fnmatch(3): `*`, `?`,
   * `[...]`, `\` escapes the next character); empty: every stream.
   * Internal streams (names starting with `$`: "$state:…", "$presence:…")
   * only for a pattern that starts with `$` too. At most 1,024 bytes of
   * valid UTF-8; an unterminated `[` or a trailing `\` is
   * INVALID_ARGUMENT.
   */
  'pattern': (string);
}
