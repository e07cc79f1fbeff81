// Test-only host modules, imported in this one place (node:assert/strict stands in
// for JSR's @std/assert, which these machines cannot reach). Test files take their
// assertions from here: `import assert from "./deps.ts"` or the named forms.
// Shared by every test file: add names, never remove them.

export { default } from "node:assert/strict";
export {
  deepStrictEqual as assertEquals,
  doesNotMatch as assertNotMatch,
  match as assertMatch,
  notDeepStrictEqual as assertNotEquals,
  ok as assert,
  strictEqual as equal,
  throws as assertThrows,
} from "node:assert/strict";
