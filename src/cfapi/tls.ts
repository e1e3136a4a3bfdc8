/**
 * The CF API's serving certificate, from files (a mounted kubernetes.io/tls Secret). The kubelet
 * replaces a Secret's files in place when it is rotated (cert-manager renews, someone edits it), so the
 * files are read again every few seconds and a changed, valid pair takes over for new connections.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/operator-config.js';
import type { Logger } from '../runtime/logger.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsPair {
  cert: string;
  key: string;
}

/** Reads and checks the pair; a ConfigError names the file or says why the pair is unusable. */
export function readTlsPair(files: TlsFiles): TlsPair {
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the TLS ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const pair = { cert: read('certificate', files.certFile), key: read('key', files.keyFile) };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new ConfigError(`the TLS certificate ${files.certFile} and key ${files.keyFile} are not a usable pair: ${(error as Error).message}`);
  }
  return pair;
}

/**
 * Calls `use` with the pair whenever the files hold a different valid one; an unusable pair (a rotation
 * caught half-written, a broken Secret) is logged and the current one kept. Returns a stop function.
 */
export function watchTlsPair(files: TlsFiles, current: TlsPair, use: (pair: TlsPair) => void, log: Logger, intervalMs = 5_000): () => void {
  let served = current;
  let lastProblem: string | undefined;
  const timer = setInterval(() => {
    let next: TlsPair;
    try {
      next = readTlsPair(files);
    } catch (error) {
      if ((error as Error).message !== lastProblem) log.error({ err: error }, 'TLS files changed into something unusable; still serving the previous certificate');
      lastProblem = (error as Error).message;
      return;
    }
    lastProblem = undefined;
    if (next.cert === served.cert && next.key === served.key) return;
    served = next;
    use(next);
    log.info({ certFile: files.certFile }, 'TLS certificate reloaded');
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
