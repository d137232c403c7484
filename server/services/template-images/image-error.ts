/**
 * Why an image was refused or could not be fetched, in words for the template's owner (shown as
 * the template's Error reason). Never transient: a download is not retried on its own.
 */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageError";
  }
}
