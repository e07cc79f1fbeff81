// Test-only host modules, imported in this one place (node:assert/strict stands in
// for JSR's @std/assert, which these machines cannot reach; names follow @std).

export {
  deepEqual as assertEquals,
  doesNotMatch as assertNotMatch,
  equal,
  match as assertMatch,
  notDeepEqual as assertNotEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
