// json-patch.js: RFC 6902 JSON Patch over RFC 6901 JSON Pointers, as the
// server sends them in `event_patch` frames (docs/protocol.md). All six
// operations are supported; values are copied in, never shared.

// A deep copy of JSON data.
export function cloneJson(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// "/a~1b/~0c" -> ["a/b", "~c"]; "" is the whole document.
function parsePointer(pointer) {
  if (typeof pointer !== "string") throw new Error(`JSON Pointer must be a string: ${pointer}`);
  if (pointer === "") return [];
  if (pointer[0] !== "/") throw new Error(`JSON Pointer must start with "/": ${pointer}`);
  // ~1 before ~0, so that "~01" becomes "~1" and not "/".
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

// An array index token: "0" or digits without a leading zero.
function arrayIndex(token, length, allowEnd) {
  if (allowEnd && token === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`bad array index "${token}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) {
    throw new Error(`array index ${index} out of range`);
  }
  return index;
}

// The container holding the location `tokens` points to.
function parentOf(doc, tokens, pointer) {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isObject(node) && hasOwn(node, token)) node = node[token];
    else throw new Error(`path not found: ${pointer}`);
  }
  if (node === null || typeof node !== "object") throw new Error(`path not found: ${pointer}`);
  return node;
}

function getValue(doc, pointer) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false)];
  if (!hasOwn(parent, key)) throw new Error(`path not found: ${pointer}`);
  return parent[key];
}

// Sets an own property, also for the key "__proto__" (plain assignment would
// change the object's prototype instead).
function setKey(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

// Each returns the (possibly new) document root.
function addValue(doc, pointer, value) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, value);
  else setKey(parent, key, value);
  return doc;
}

function removeValue(doc, pointer) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new Error("cannot remove the whole document");
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  let removed;
  if (Array.isArray(parent)) {
    [removed] = parent.splice(arrayIndex(key, parent.length, false), 1);
  } else {
    if (!hasOwn(parent, key)) throw new Error(`path not found: ${pointer}`);
    removed = parent[key];
    delete parent[key];
  }
  return { doc, removed };
}

function replaceValue(doc, pointer, value) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)] = value;
  else if (hasOwn(parent, key)) setKey(parent, key, value);
  else throw new Error(`path not found: ${pointer}`);
  return doc;
}

function jsonEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return false;
}

// Applies `patch` (an array of RFC 6902 operations) to `doc` and returns the
// result. Containers are changed in place; an operation on the root ("")
// returns a new root. Values are copied in, so the patch and the document
// never share objects (the same patch is often applied to two copies).
// Throws on an invalid or failing operation; `doc` may then be partly patched.
export function applyPatch(doc, patch) {
  if (patch === null || patch === undefined) return doc;
  if (!Array.isArray(patch)) throw new Error("a JSON Patch must be an array");
  for (const op of patch) {
    if (!isObject(op)) throw new Error("a JSON Patch operation must be an object");
    const needValue = () => {
      if (!hasOwn(op, "value")) throw new Error(`"${op.op}" needs a value`);
      return cloneJson(op.value);
    };
    switch (op.op) {
      case "add":
        doc = addValue(doc, op.path, needValue());
        break;
      case "remove":
        doc = removeValue(doc, op.path).doc;
        break;
      case "replace":
        doc = replaceValue(doc, op.path, needValue());
        break;
      case "move": {
        if (op.path === op.from) {
          getValue(doc, op.from); // must exist; otherwise a no-op
          break;
        }
        if (op.path.startsWith(`${op.from}/`)) {
          throw new Error(`cannot move ${op.from} into itself (${op.path})`);
        }
        const { removed } = removeValue(doc, op.from);
        doc = addValue(doc, op.path, removed);
        break;
      }
      case "copy":
        doc = addValue(doc, op.path, cloneJson(getValue(doc, op.from)));
        break;
      case "test":
        if (!jsonEqual(getValue(doc, op.path), op.value)) {
          throw new Error(`test failed at "${op.path}"`);
        }
        break;
      default:
        throw new Error(`unknown JSON Patch operation "${op.op}"`);
    }
  }
  return doc;
}

// BoardStreams.patchState: patches `state` in place (a no-op for a null or
// undefined patch) and returns it. A patch that replaces the root keeps the
// same object when old and new are both objects or both arrays; any other
// root change cannot be done in place and throws (use applyPatch).
export function patchState(state, patch) {
  const result = applyPatch(state, patch);
  if (result === state) return state;
  if (isObject(state) && isObject(result)) {
    for (const key of Object.keys(state)) delete state[key];
    for (const key of Object.keys(result)) setKey(state, key, result[key]);
    return state;
  }
  if (Array.isArray(state) && Array.isArray(result)) {
    state.splice(0, state.length, ...result);
    return state;
  }
  throw new Error("the patch replaces the state with another type; use CableState.applyPatch");
}
