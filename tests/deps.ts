// Test-only host modules, imported in this one place.

export {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
