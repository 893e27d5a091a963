/**
 * The `navigate` callback for Clerk's `finalize()`: Clerk may hand back an absolute URL (another
 * domain, a satellite app) that the client router cannot open, so those get a full page load.
 */
export function navigateAfterFinalize(router: { push(url: string): void }, path: string) {
  return ({ decorateUrl }: { decorateUrl(url: string): string }) => {
    const url = decorateUrl(path);
    if (url.startsWith("http")) window.location.href = url;
    else router.push(url);
  };
}
