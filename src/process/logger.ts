/**
 * The package's logger, Python's `multiprocessing.get_logger()` /
 * `log_to_stderr()`: lifecycle messages (a child starting and exiting, a pool's
 * workers, a manager) at Python's levels, written as `[INFO/Process-1] message`. A
 * child starts with its parent's level and stderr handler, as Python passes them to
 * spawned children.
 *
 * @module
 */
import { writeStderr } from "../internal/runtime.ts";
import { connectLogger, thisProcess } from "./_state.ts";

/** Python's logging levels, and `multiprocessing`'s own SUBDEBUG and SUBWARNING. */
export const LogLevel = {
  NOTSET: 0,
  SUBDEBUG: 5,
  DEBUG: 10,
  INFO: 20,
  SUBWARNING: 25,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const;

/** A level: one of {@linkcode LogLevel}'s numbers, or its name (`"INFO"`). */
export type Level = number | keyof typeof LogLevel;

/** Where a formatted message goes: Python's handler. */
export type LogHandler = (line: string, record: LogRecord) => void;

/** One message, as handlers receive it. */
export interface LogRecord {
  /** The level's number. */
  level: number;
  /** The level's name (`"INFO"`). */
  levelName: string;
  /** The name of the process that logged it (`MainProcess`, `Process-1`). */
  processName: string;
  /** The message. */
  message: string;
}

function levelNumber(level: Level, where: string): number {
  const n = typeof level === "string" ? LogLevel[level as keyof typeof LogLevel] : level;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(
      `${where}: level must be a number or one of ${Object.keys(LogLevel).join(", ")}, got ${String(level)}`,
    );
  }
  return n;
}

function levelName(n: number): string {
  for (const [name, v] of Object.entries(LogLevel)) if (v === n) return name;
  return `Level ${n}`;
}

/**
 * The package's logger. Nothing is written until a handler is added (by
 * {@linkcode logToStderr} or {@linkcode Logger.addHandler}) and the level lets the
 * message through; the level defaults to WARNING, as Python's does.
 *
 * @example Log to a list
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * const lines: string[] = [];
 * const logger = mp.getLogger();
 * logger.setLevel("INFO");
 * logger.addHandler((line) => lines.push(line));
 * logger.info("hello");
 * console.log(lines); // ["[INFO/MainProcess] hello"]
 * ```
 */
export class Logger {
  #level: number = LogLevel.WARNING;
  #handlers: LogHandler[] = [];
  #stderr = false;

  /** The current level: messages below it are dropped. */
  get level(): number {
    return this.#level;
  }

  /** Sets the level (a number or a name such as `"DEBUG"`). */
  setLevel(level: Level): void {
    this.#level = levelNumber(level, "Logger.setLevel()");
  }

  /** Whether a message at `level` would be written. */
  isEnabledFor(level: Level): boolean {
    return levelNumber(level, "Logger.isEnabledFor()") >= this.#level && this.#handlers.length > 0;
  }

  /** Adds a handler; each message that passes the level goes to every handler. */
  addHandler(handler: LogHandler): void {
    if (typeof handler !== "function") {
      throw new TypeError(`Logger.addHandler(): handler must be a function, got ${typeof handler}`);
    }
    if (!this.#handlers.includes(handler)) this.#handlers.push(handler);
  }

  /** Removes a handler added before. */
  removeHandler(handler: LogHandler): void {
    this.#handlers = this.#handlers.filter((h) => h !== handler);
    if (handler === stderrHandler) this.#stderr = false;
  }

  /** Writes `message` at `level`, formatted as `[LEVEL/processName] message`. */
  log(level: Level, message: string): void {
    const n = levelNumber(level, "Logger.log()");
    if (n < this.#level || this.#handlers.length === 0) return;
    const record = {
      level: n,
      levelName: levelName(n),
      processName: thisProcess.name,
      message: String(message),
    };
    const line = `[${record.levelName}/${record.processName}] ${record.message}`;
    for (const h of this.#handlers) h(line, record);
  }

  /** Logs at SUBDEBUG (5). */
  subDebug(message: string): void {
    this.log(LogLevel.SUBDEBUG, message);
  }
  /** Logs at DEBUG (10). */
  debug(message: string): void {
    this.log(LogLevel.DEBUG, message);
  }
  /** Logs at INFO (20). */
  info(message: string): void {
    this.log(LogLevel.INFO, message);
  }
  /** Logs at SUBWARNING (25). */
  subWarning(message: string): void {
    this.log(LogLevel.SUBWARNING, message);
  }
  /** Logs at WARNING (30). */
  warning(message: string): void {
    this.log(LogLevel.WARNING, message);
  }
  /** Logs at ERROR (40). */
  error(message: string): void {
    this.log(LogLevel.ERROR, message);
  }

  /** Adds the stderr handler once (internal to {@linkcode logToStderr}). */
  toStderr(): void {
    if (this.#stderr) return;
    this.#stderr = true;
    this.addHandler(stderrHandler);
  }

  /** What a child inherits: the level and whether it writes to stderr. */
  get inherited(): { level: number; stderr: boolean } {
    return { level: this.#level, stderr: this.#stderr };
  }
}

const stderrHandler: LogHandler = (line) => writeStderr(`${line}\n`);

const logger = new Logger();

/**
 * The package's logger, Python's `multiprocessing.get_logger()`.
 *
 * @returns The one logger of this process.
 *
 * @example Check the level
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 * console.log(mp.getLogger().level); // 30 (WARNING)
 * ```
 */
export function getLogger(): Logger {
  return logger;
}

/**
 * Writes the package's messages to stderr from now on, in this process and in the
 * children it starts, like Python's `log_to_stderr()`.
 *
 * @param level The level to set (a number or a name); leaves the level as it is if omitted.
 * @returns The logger.
 * @throws {TypeError} When `level` is not a known level.
 *
 * @example See processes start and exit
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 * mp.logToStderr("INFO"); // [INFO/Process-1] child process calling self.run() ...
 * ```
 */
export function logToStderr(level?: Level): Logger {
  if (level !== undefined) logger.setLevel(level);
  logger.toStderr();
  return logger;
}

/** Takes the parent's settings in a child (through `_state.ts`, when this module loads). */
function inheritLogging(settings: { level: number; stderr: boolean } | undefined): void {
  if (!settings) return;
  logger.setLevel(settings.level);
  if (settings.stderr) logger.toStderr();
}

connectLogger(inheritLogging, (message) => logger.info(message));
