// Runs one CLI command of a deploy step. Loud commands stream their output as it comes
// (the CLI's own progress) and keep its tail for the failure message; quiet ones
// (`projects api-keys`, `secrets list`) are captured, since their answer holds keys.
import { join } from 'node:path';

export interface Command {
  bin: 'npm' | 'supabase';
  args: string[];
  /** Printed verbatim instead of the args (masked secrets, a temp file's content). */
  shown?: string;
  /** Capture stdout instead of streaming it. */
  quiet?: boolean;
}

/** The pinned CLI, relative to the repository root (package.json: supabase@2.117.0). */
export const SUPABASE_BIN = 'node_modules/.bin/supabase';

const quote = (a: string) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;

export function display(cmd: Command): string {
  const bin = cmd.bin === 'supabase' ? SUPABASE_BIN : 'npm';
  return `${bin} ${cmd.shown ?? cmd.args.map(quote).join(' ')}`;
}

export class CommandFailed extends Error {
  constructor(readonly command: string, readonly code: number | null, readonly output: string) {
    super(code === null ? `${command} could not start` : `${command} exited with ${code}`);
  }
}

const TAIL = 4000;

/** Runs cmd in root; resolves to its stdout (quiet) or '' (streamed); throws CommandFailed. */
export async function execCommand(root: string, cmd: Command): Promise<string> {
  const bin = cmd.bin === 'supabase' ? join(root, SUPABASE_BIN) : 'npm';
  let child: Deno.ChildProcess;
  try {
    // stdin closed: a prompt must fail rather than wait for an answer nobody gives.
    child = new Deno.Command(bin, {
      args: cmd.args,
      cwd: root,
      stdin: 'null',
      stdout: 'piped',
      stderr: 'piped',
    })
      .spawn();
  } catch (err) {
    throw new CommandFailed(
      display(cmd),
      null,
      `${(err as Error).message}${
        cmd.bin === 'supabase' ? '\n(run `npm ci` first: it installs the pinned CLI)' : ''
      }`,
    );
  }
  let tail = '';
  let stdout = '';
  const dec = new TextDecoder();
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    out: typeof Deno.stdout,
    keep: boolean,
  ) => {
    for await (const chunk of stream) {
      const text = dec.decode(chunk, { stream: true });
      if (keep) stdout += text;
      else {
        await out.write(chunk);
        tail = (tail + text).slice(-TAIL);
      }
    }
  };
  // A quiet command's stderr still streams: it carries the CLI's errors, never the keys.
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout, cmd.quiet === true),
    pump(child.stderr, Deno.stderr, false),
  ]);
  if (!status.success) throw new CommandFailed(display(cmd), status.code, tail);
  return stdout;
}
