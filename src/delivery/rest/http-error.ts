/** A REST answer other than 200: the server sends its status with `{"error": message}`. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
