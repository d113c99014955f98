/**
 * URLs of the package's own modules, in the form the package itself was loaded in:
 * `file:` or `https:` (`jsr:` on Deno), `.ts` or `.js` (JSR's npm layer ships a
 * transpiled `.js` beside each `.ts` and rewrites only import specifiers). Whatever
 * the package loads by URL at run time (the worker bootstrap, reviver modules) comes
 * from here, so that a process runs one module graph, never the `.ts` and the `.js`
 * copies side by side. Internal to this package.
 *
 * @module
 */

/** The extension of the package's modules as loaded: `".js"` or `".ts"`. */
export const MODULE_EXT: ".js" | ".ts" = /\.js$/.test(new URL(import.meta.url).pathname) ? ".js" : ".ts";

/** The package's `src/` folder, as a URL ending in `/`. */
export const PACKAGE_SRC: string = new URL("../", import.meta.url).href;

/**
 * The URL of one of the package's modules, given without extension relative to
 * `src/` (`"process/_bootstrap"`, `"../mod"`), in the form this module was loaded in.
 */
export function packageModule(path: string): URL {
  return new URL(path + MODULE_EXT, PACKAGE_SRC);
}
