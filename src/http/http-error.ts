/**
 * The one error type of src/http: a peer's malformed or oversized request, carrying the status
 * the connection answers with before it closes (: bad input closes that
 * connection only) and a stable code that tests and logs can match on.
 */

/** Stable codes; the message text may change, these may not. */
export type HttpErrorCode =
  | 'BAD_REQUEST_LINE'
  | 'BAD_METHOD'
  | 'BAD_TARGET'
  | 'BAD_VERSION'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_HEADER'
  | 'MISSING_HOST'
  | 'URI_TOO_LONG'
  | 'HEAD_TOO_LARGE'
  | 'TOO_MANY_HEADERS'
  | 'BAD_CONTENT_LENGTH'
  | 'BAD_TRANSFER_ENCODING'
  | 'UNSUPPORTED_TRANSFER_CODING'
  | 'BAD_CHUNK'
  | 'TRAILERS_TOO_LARGE'
  | 'BODY_TOO_LARGE';

export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    /** The HTTP status to answer with (400, 413, 414, 431, 501, 505). */
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}
