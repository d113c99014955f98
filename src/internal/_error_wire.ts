/**
 * Errors as they travel between processes: `ExitSignal` (the `exit()` unwinding), and
 * the data an error becomes and is rebuilt from, keeping its class where it can.
 * Internal to this package; the public error classes are `errors.ts`.
 *
 * @module
 */
import {
  AuthenticationError,
  BrokenBarrierError,
  BrokenProcessPool,
  Empty,
  EOFError,
  Full,
  ProcessError,
  RemoteError,
  TimeoutError,
} from "./errors.ts";

/**
 * The brand of an {@linkcode ExitSignal}: the bootstrap tells one by it without loading
 * this module (the same `Symbol.for` key is in `process/_bootstrap.ts`).
 */
export const EXIT_SIGNAL: unique symbol = Symbol.for("@mp/multiprocessing.exitSignal") as never;

/** Thrown by `exit()` inside a child: unwinds it to the bootstrap, like SystemExit. */
export class ExitSignal extends Error {
  /** The exit code asked for. */
  readonly code: number;
  /** Always `true`: marks the signal across module copies (see {@linkcode EXIT_SIGNAL}). */
  readonly [EXIT_SIGNAL] = true;
  /** Creates the signal for `code`. */
  constructor(code: number) {
    super(`process exit with code ${code}`);
    this.name = "ExitSignal";
    this.code = code;
  }
}

/** An error as it travels between processes. */
export interface ErrorData {
  name: string;
  message: string;
  stack: string;
  /** Own extra properties that clone (`code`, ...). */
  props?: Record<string, unknown>;
  /**
   * The error's own class, by reference (a codec handle while it travels, the class
   * once decoded), when it is a class that a module exports.
   */
  cls?: unknown;
}

type ClassEncoder = (cls: abstract new (...args: never[]) => unknown, stack: string) => unknown;
let classEncoder: ClassEncoder | null = null;

/** Sets how an error's class is described by reference (the codec does, to avoid a cycle). */
export function setErrorClassEncoder(encoder: ClassEncoder): void {
  classEncoder = encoder;
}

/** Turns any thrown value into data that can cross to another process. */
export function errorToData(error: unknown): ErrorData {
  if (error instanceof Error) {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(error)) {
      if (k === "name" || k === "message" || k === "stack" || k === "cause") continue;
      try {
        props[k] = structuredClone(v);
      } catch { /* not cloneable: left behind */ }
    }
    const stack = error.stack ?? `${error.name}: ${error.message}`;
    const data: ErrorData = { name: error.name, message: error.message, stack, props };
    const cls = error.constructor as ErrorConstructor | undefined;
    if (classEncoder && typeof cls === "function" && BUILTINS[cls.name] !== cls && OURS[cls.name] !== cls) {
      const handle = classEncoder(cls, stack);
      if (handle !== undefined) data.cls = handle;
    }
    return data;
  }
  const text = typeof error === "string" ? error : safeString(error);
  return { name: "Error", message: text, stack: `Uncaught ${text}` };
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

const BUILTINS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};
const OURS: Record<string, new (message: string, options?: ErrorOptions) => Error> = {
  ProcessError,
  TimeoutError,
  AuthenticationError,
  Empty,
  Full,
  EOFError,
  BrokenBarrierError,
  BrokenProcessPool,
};

/**
 * Rebuilds an error that came from another process: the same built-in class (or this
 * package's class) and message, custom classes keeping their `name`, and a `cause`
 * that is a {@linkcode RemoteError} holding the remote stack.
 */
export function errorFromData(data: ErrorData): Error {
  const options = { cause: new RemoteError(`${data.name}: ${data.message}`, data.stack) } as ErrorOptions;
  const err: Error = typeof data.cls === "function"
    // The sender's own class, without running its constructor (its arguments are unknown).
    ? Reflect.construct(Error, [data.message, options], data.cls)
    : new (BUILTINS[data.name] ?? OURS[data.name] ?? Error)(data.message, options);
  if (err.name !== data.name) {
    Object.defineProperty(err, "name", { value: data.name, configurable: true, writable: true });
  }
  if (data.props) Object.assign(err, data.props);
  return err;
}
