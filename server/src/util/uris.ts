// File URIs and paths: the server speaks URIs (LSP), the file system wants paths. A leaf module, so the loaders and
// the workspace index can both use it without importing each other.
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function toUri(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

export function toPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

/** Whether `path` is `dir` or below it (both absolute). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}
