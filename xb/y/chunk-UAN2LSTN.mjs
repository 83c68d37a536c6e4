import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  PlanError
} from "./chunk-4DO664QM.mjs";
import {
  __commonJS,
  __toESM
} from "./chunk-R5JLVHAA.mjs";

// ../../work/main/node_modules/ajv/dist/runtime/ucs2length.js
var require_ucs2length = __commonJS({
  "../../work/main/node_modules/ajv/dist/runtime/ucs2length.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    function ucs2length(str) {
      const len = str.length;
      let length = 0;
      let pos = 0;
      let value;
      while (pos < len) {
        length++;
        value = str.charCodeAt(pos++);
        if (value >= 55296 && value <= 56319 && pos < len) {
          value = str.charCodeAt(pos);
          if ((value & 64512) === 56320)
            pos++;
        }
      }
      return length;
    }
    exports.default = ucs2length;
    ucs2length.code = 'require("ajv/dist/runtime/ucs2length").default';
  }
});

// ../../work/main/src/engine/run-id.ts
import { randomBytes } from "node:crypto";
function newRunId(now = /* @__PURE__ */ new Date()) {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

// ../../work/main/src/schema/load-plan.ts
import { createHash } from "node:crypto";
import { readFileSync as readFileSync2 } from "node:fs";
import path3 from "node:path";

// ../../work/main/src/graph/dag.ts
function topologicalOrder(n, dependsOn) {
  const indegree = new Int32Array(n);
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const deps = dependsOn[i] ?? [];
    indegree[i] = deps.length;
    for (const d of deps) {
      if (!(d >= 0 && d < n) || !Number.isInteger(d)) throw new RangeError(`node ${i} depends on ${d}, outside [0, ${n})`);
      start[d + 1]++;
    }
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const edges = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++) for (const d of dependsOn[i] ?? []) edges[fill[d]++] = i;
  const heap = new MinHeap(n);
  for (let i = 0; i < n; i++) if (indegree[i] === 0) heap.push(i);
  const order = [];
  while (heap.size > 0) {
    const v = heap.pop();
    order.push(v);
    for (let e = start[v]; e < start[v + 1]; e++) {
      const w = edges[e];
      if (--indegree[w] === 0) heap.push(w);
    }
  }
  if (order.length === n) return { order };
  const done = new Uint8Array(n);
  for (const v of order) done[v] = 1;
  return { cycle: findCycle(n, dependsOn, (i) => done[i] === 0) };
}
function findCycle(n, dependsOn, leftover) {
  let v = -1;
  for (let i = 0; i < n; i++) {
    if (leftover(i)) {
      v = i;
      break;
    }
  }
  if (v === -1) return [];
  const posInPath = new Int32Array(n).fill(-1);
  const path4 = [];
  while (posInPath[v] === -1) {
    posInPath[v] = path4.length;
    path4.push(v);
    const next = (dependsOn[v] ?? []).find((d) => leftover(d));
    if (next === void 0) throw new Error(`findCycle: node ${v} has no leftover dependency`);
    v = next;
  }
  const cycle = path4.slice(posInPath[v]);
  let min = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i] < cycle[min]) min = i;
  return [...cycle.slice(min), ...cycle.slice(0, min)];
}
var MinHeap = class {
  a;
  size = 0;
  constructor(capacity) {
    this.a = new Int32Array(Math.max(1, capacity));
  }
  push(x) {
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = i - 1 >> 1;
      if (a[p] <= x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  pop() {
    const a = this.a;
    const top = a[0];
    const x = a[--this.size];
    const n = this.size;
    let i = 0;
    for (; ; ) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1] < a[c]) c++;
      if (a[c] >= x) break;
      a[i] = a[c];
      i = c;
    }
    if (n > 0) a[i] = x;
    return top;
  }
};
function levels(order, dependsOn) {
  const level = new Int32Array(dependsOn.length);
  const out = [];
  for (const i of order) {
    let l = 0;
    for (const d of dependsOn[i]) if (level[d] + 1 > l) l = level[d] + 1;
    level[i] = l;
    (out[l] ??= []).push(i);
  }
  return out;
}
function ancestorClosure(targets, dependsOn) {
  const keep = new Uint8Array(dependsOn.length);
  const work = [...targets];
  for (const t of targets) keep[t] = 1;
  while (work.length > 0) {
    for (const d of dependsOn[work.pop()]) {
      if (!keep[d]) {
        keep[d] = 1;
        work.push(d);
      }
    }
  }
  return keep;
}

// ../../work/main/node_modules/jsonc-parser/lib/esm/impl/scanner.js
function createScanner(text, ignoreTrivia = false) {
  const len = text.length;
  let pos = 0, value = "", tokenOffset = 0, token = 16, lineNumber = 0, lineStartOffset = 0, tokenLineStartOffset = 0, prevTokenLineStartOffset = 0, scanError = 0;
  function scanHexDigits(count, exact) {
    let digits = 0;
    let value2 = 0;
    while (digits < count || !exact) {
      let ch = text.charCodeAt(pos);
      if (ch >= 48 && ch <= 57) {
        value2 = value2 * 16 + ch - 48;
      } else if (ch >= 65 && ch <= 70) {
        value2 = value2 * 16 + ch - 65 + 10;
      } else if (ch >= 97 && ch <= 102) {
        value2 = value2 * 16 + ch - 97 + 10;
      } else {
        break;
      }
      pos++;
      digits++;
    }
    if (digits < count) {
      value2 = -1;
    }
    return value2;
  }
  function setPosition(newPosition) {
    pos = newPosition;
    value = "";
    tokenOffset = 0;
    token = 16;
    scanError = 0;
  }
  function scanNumber() {
    let start = pos;
    if (text.charCodeAt(pos) === 48) {
      pos++;
    } else {
      pos++;
      while (pos < text.length && isDigit(text.charCodeAt(pos))) {
        pos++;
      }
    }
    if (pos < text.length && text.charCodeAt(pos) === 46) {
      pos++;
      if (pos < text.length && isDigit(text.charCodeAt(pos))) {
        pos++;
        while (pos < text.length && isDigit(text.charCodeAt(pos))) {
          pos++;
        }
      } else {
        scanError = 3;
        return text.substring(start, pos);
      }
    }
    let end = pos;
    if (pos < text.length && (text.charCodeAt(pos) === 69 || text.charCodeAt(pos) === 101)) {
      pos++;
      if (pos < text.length && text.charCodeAt(pos) === 43 || text.charCodeAt(pos) === 45) {
        pos++;
      }
      if (pos < text.length && isDigit(text.charCodeAt(pos))) {
        pos++;
        while (pos < text.length && isDigit(text.charCodeAt(pos))) {
          pos++;
        }
        end = pos;
      } else {
        scanError = 3;
      }
    }
    return text.substring(start, end);
  }
  function scanString() {
    let result = "", start = pos;
    while (true) {
      if (pos >= len) {
        result += text.substring(start, pos);
        scanError = 2;
        break;
      }
      const ch = text.charCodeAt(pos);
      if (ch === 34) {
        result += text.substring(start, pos);
        pos++;
        break;
      }
      if (ch === 92) {
        result += text.substring(start, pos);
        pos++;
        if (pos >= len) {
          scanError = 2;
          break;
        }
        const ch2 = text.charCodeAt(pos++);
        switch (ch2) {
          case 34:
            result += '"';
            break;
          case 92:
            result += "\\";
            break;
          case 47:
            result += "/";
            break;
          case 98:
            result += "\b";
            break;
          case 102:
            result += "\f";
            break;
          case 110:
            result += "\n";
            break;
          case 114:
            result += "\r";
            break;
          case 116:
            result += "	";
            break;
          case 117:
            const ch3 = scanHexDigits(4, true);
            if (ch3 >= 0) {
              result += String.fromCharCode(ch3);
            } else {
              scanError = 4;
            }
            break;
          default:
            scanError = 5;
        }
        start = pos;
        continue;
      }
      if (ch >= 0 && ch <= 31) {
        if (isLineBreak(ch)) {
          result += text.substring(start, pos);
          scanError = 2;
          break;
        } else {
          scanError = 6;
        }
      }
      pos++;
    }
    return result;
  }
  function scanNext() {
    value = "";
    scanError = 0;
    tokenOffset = pos;
    lineStartOffset = lineNumber;
    prevTokenLineStartOffset = tokenLineStartOffset;
    if (pos >= len) {
      tokenOffset = len;
      return token = 17;
    }
    let code = text.charCodeAt(pos);
    if (isWhiteSpace(code)) {
      do {
        pos++;
        value += String.fromCharCode(code);
        code = text.charCodeAt(pos);
      } while (isWhiteSpace(code));
      return token = 15;
    }
    if (isLineBreak(code)) {
      pos++;
      value += String.fromCharCode(code);
      if (code === 13 && text.charCodeAt(pos) === 10) {
        pos++;
        value += "\n";
      }
      lineNumber++;
      tokenLineStartOffset = pos;
      return token = 14;
    }
    switch (code) {
      // tokens: []{}:,
      case 123:
        pos++;
        return token = 1;
      case 125:
        pos++;
        return token = 2;
      case 91:
        pos++;
        return token = 3;
      case 93:
        pos++;
        return token = 4;
      case 58:
        pos++;
        return token = 6;
      case 44:
        pos++;
        return token = 5;
      // strings
      case 34:
        pos++;
        value = scanString();
        return token = 10;
      // comments
      case 47:
        const start = pos - 1;
        if (text.charCodeAt(pos + 1) === 47) {
          pos += 2;
          while (pos < len) {
            if (isLineBreak(text.charCodeAt(pos))) {
              break;
            }
            pos++;
          }
          value = text.substring(start, pos);
          return token = 12;
        }
        if (text.charCodeAt(pos + 1) === 42) {
          pos += 2;
          const safeLength = len - 1;
          let commentClosed = false;
          while (pos < safeLength) {
            const ch = text.charCodeAt(pos);
            if (ch === 42 && text.charCodeAt(pos + 1) === 47) {
              pos += 2;
              commentClosed = true;
              break;
            }
            pos++;
            if (isLineBreak(ch)) {
              if (ch === 13 && text.charCodeAt(pos) === 10) {
                pos++;
              }
              lineNumber++;
              tokenLineStartOffset = pos;
            }
          }
          if (!commentClosed) {
            pos++;
            scanError = 1;
          }
          value = text.substring(start, pos);
          return token = 13;
        }
        value += String.fromCharCode(code);
        pos++;
        return token = 16;
      // numbers
      case 45:
        value += String.fromCharCode(code);
        pos++;
        if (pos === len || !isDigit(text.charCodeAt(pos))) {
          return token = 16;
        }
      // found a minus, followed by a number so
      // we fall through to proceed with scanning
      // numbers
      case 48:
      case 49:
      case 50:
      case 51:
      case 52:
      case 53:
      case 54:
      case 55:
      case 56:
      case 57:
        value += scanNumber();
        return token = 11;
      // literals and unknown symbols
      default:
        while (pos < len && isUnknownContentCharacter(code)) {
          pos++;
          code = text.charCodeAt(pos);
        }
        if (tokenOffset !== pos) {
          value = text.substring(tokenOffset, pos);
          switch (value) {
            case "true":
              return token = 8;
            case "false":
              return token = 9;
            case "null":
              return token = 7;
          }
          return token = 16;
        }
        value += String.fromCharCode(code);
        pos++;
        return token = 16;
    }
  }
  function isUnknownContentCharacter(code) {
    if (isWhiteSpace(code) || isLineBreak(code)) {
      return false;
    }
    switch (code) {
      case 125:
      case 93:
      case 123:
      case 91:
      case 34:
      case 58:
      case 44:
      case 47:
        return false;
    }
    return true;
  }
  function scanNextNonTrivia() {
    let result;
    do {
      result = scanNext();
    } while (result >= 12 && result <= 15);
    return result;
  }
  return {
    setPosition,
    getPosition: () => pos,
    scan: ignoreTrivia ? scanNextNonTrivia : scanNext,
    getToken: () => token,
    getTokenValue: () => value,
    getTokenOffset: () => tokenOffset,
    getTokenLength: () => pos - tokenOffset,
    getTokenStartLine: () => lineStartOffset,
    getTokenStartCharacter: () => tokenOffset - prevTokenLineStartOffset,
    getTokenError: () => scanError
  };
}
function isWhiteSpace(ch) {
  return ch === 32 || ch === 9;
}
function isLineBreak(ch) {
  return ch === 10 || ch === 13;
}
function isDigit(ch) {
  return ch >= 48 && ch <= 57;
}
var CharacterCodes;
(function(CharacterCodes2) {
  CharacterCodes2[CharacterCodes2["lineFeed"] = 10] = "lineFeed";
  CharacterCodes2[CharacterCodes2["carriageReturn"] = 13] = "carriageReturn";
  CharacterCodes2[CharacterCodes2["space"] = 32] = "space";
  CharacterCodes2[CharacterCodes2["_0"] = 48] = "_0";
  CharacterCodes2[CharacterCodes2["_1"] = 49] = "_1";
  CharacterCodes2[CharacterCodes2["_2"] = 50] = "_2";
  CharacterCodes2[CharacterCodes2["_3"] = 51] = "_3";
  CharacterCodes2[CharacterCodes2["_4"] = 52] = "_4";
  CharacterCodes2[CharacterCodes2["_5"] = 53] = "_5";
  CharacterCodes2[CharacterCodes2["_6"] = 54] = "_6";
  CharacterCodes2[CharacterCodes2["_7"] = 55] = "_7";
  CharacterCodes2[CharacterCodes2["_8"] = 56] = "_8";
  CharacterCodes2[CharacterCodes2["_9"] = 57] = "_9";
  CharacterCodes2[CharacterCodes2["a"] = 97] = "a";
  CharacterCodes2[CharacterCodes2["b"] = 98] = "b";
  CharacterCodes2[CharacterCodes2["c"] = 99] = "c";
  CharacterCodes2[CharacterCodes2["d"] = 100] = "d";
  CharacterCodes2[CharacterCodes2["e"] = 101] = "e";
  CharacterCodes2[CharacterCodes2["f"] = 102] = "f";
  CharacterCodes2[CharacterCodes2["g"] = 103] = "g";
  CharacterCodes2[CharacterCodes2["h"] = 104] = "h";
  CharacterCodes2[CharacterCodes2["i"] = 105] = "i";
  CharacterCodes2[CharacterCodes2["j"] = 106] = "j";
  CharacterCodes2[CharacterCodes2["k"] = 107] = "k";
  CharacterCodes2[CharacterCodes2["l"] = 108] = "l";
  CharacterCodes2[CharacterCodes2["m"] = 109] = "m";
  CharacterCodes2[CharacterCodes2["n"] = 110] = "n";
  CharacterCodes2[CharacterCodes2["o"] = 111] = "o";
  CharacterCodes2[CharacterCodes2["p"] = 112] = "p";
  CharacterCodes2[CharacterCodes2["q"] = 113] = "q";
  CharacterCodes2[CharacterCodes2["r"] = 114] = "r";
  CharacterCodes2[CharacterCodes2["s"] = 115] = "s";
  CharacterCodes2[CharacterCodes2["t"] = 116] = "t";
  CharacterCodes2[CharacterCodes2["u"] = 117] = "u";
  CharacterCodes2[CharacterCodes2["v"] = 118] = "v";
  CharacterCodes2[CharacterCodes2["w"] = 119] = "w";
  CharacterCodes2[CharacterCodes2["x"] = 120] = "x";
  CharacterCodes2[CharacterCodes2["y"] = 121] = "y";
  CharacterCodes2[CharacterCodes2["z"] = 122] = "z";
  CharacterCodes2[CharacterCodes2["A"] = 65] = "A";
  CharacterCodes2[CharacterCodes2["B"] = 66] = "B";
  CharacterCodes2[CharacterCodes2["C"] = 67] = "C";
  CharacterCodes2[CharacterCodes2["D"] = 68] = "D";
  CharacterCodes2[CharacterCodes2["E"] = 69] = "E";
  CharacterCodes2[CharacterCodes2["F"] = 70] = "F";
  CharacterCodes2[CharacterCodes2["G"] = 71] = "G";
  CharacterCodes2[CharacterCodes2["H"] = 72] = "H";
  CharacterCodes2[CharacterCodes2["I"] = 73] = "I";
  CharacterCodes2[CharacterCodes2["J"] = 74] = "J";
  CharacterCodes2[CharacterCodes2["K"] = 75] = "K";
  CharacterCodes2[CharacterCodes2["L"] = 76] = "L";
  CharacterCodes2[CharacterCodes2["M"] = 77] = "M";
  CharacterCodes2[CharacterCodes2["N"] = 78] = "N";
  CharacterCodes2[CharacterCodes2["O"] = 79] = "O";
  CharacterCodes2[CharacterCodes2["P"] = 80] = "P";
  CharacterCodes2[CharacterCodes2["Q"] = 81] = "Q";
  CharacterCodes2[CharacterCodes2["R"] = 82] = "R";
  CharacterCodes2[CharacterCodes2["S"] = 83] = "S";
  CharacterCodes2[CharacterCodes2["T"] = 84] = "T";
  CharacterCodes2[CharacterCodes2["U"] = 85] = "U";
  CharacterCodes2[CharacterCodes2["V"] = 86] = "V";
  CharacterCodes2[CharacterCodes2["W"] = 87] = "W";
  CharacterCodes2[CharacterCodes2["X"] = 88] = "X";
  CharacterCodes2[CharacterCodes2["Y"] = 89] = "Y";
  CharacterCodes2[CharacterCodes2["Z"] = 90] = "Z";
  CharacterCodes2[CharacterCodes2["asterisk"] = 42] = "asterisk";
  CharacterCodes2[CharacterCodes2["backslash"] = 92] = "backslash";
  CharacterCodes2[CharacterCodes2["closeBrace"] = 125] = "closeBrace";
  CharacterCodes2[CharacterCodes2["closeBracket"] = 93] = "closeBracket";
  CharacterCodes2[CharacterCodes2["colon"] = 58] = "colon";
  CharacterCodes2[CharacterCodes2["comma"] = 44] = "comma";
  CharacterCodes2[CharacterCodes2["dot"] = 46] = "dot";
  CharacterCodes2[CharacterCodes2["doubleQuote"] = 34] = "doubleQuote";
  CharacterCodes2[CharacterCodes2["minus"] = 45] = "minus";
  CharacterCodes2[CharacterCodes2["openBrace"] = 123] = "openBrace";
  CharacterCodes2[CharacterCodes2["openBracket"] = 91] = "openBracket";
  CharacterCodes2[CharacterCodes2["plus"] = 43] = "plus";
  CharacterCodes2[CharacterCodes2["slash"] = 47] = "slash";
  CharacterCodes2[CharacterCodes2["formFeed"] = 12] = "formFeed";
  CharacterCodes2[CharacterCodes2["tab"] = 9] = "tab";
})(CharacterCodes || (CharacterCodes = {}));

// ../../work/main/node_modules/jsonc-parser/lib/esm/impl/string-intern.js
var cachedSpaces = new Array(20).fill(0).map((_, index) => {
  return " ".repeat(index);
});
var maxCachedValues = 200;
var cachedBreakLinesWithSpaces = {
  " ": {
    "\n": new Array(maxCachedValues).fill(0).map((_, index) => {
      return "\n" + " ".repeat(index);
    }),
    "\r": new Array(maxCachedValues).fill(0).map((_, index) => {
      return "\r" + " ".repeat(index);
    }),
    "\r\n": new Array(maxCachedValues).fill(0).map((_, index) => {
      return "\r\n" + " ".repeat(index);
    })
  },
  "	": {
    "\n": new Array(maxCachedValues).fill(0).map((_, index) => {
      return "\n" + "	".repeat(index);
    }),
    "\r": new Array(maxCachedValues).fill(0).map((_, index) => {
      return "\r" + "	".repeat(index);
    }),
    "\r\n": new Array(maxCachedValues).fill(0).map((_, index) => {
      return "\r\n" + "	".repeat(index);
    })
  }
};

// ../../work/main/node_modules/jsonc-parser/lib/esm/impl/parser.js
var ParseOptions;
(function(ParseOptions2) {
  ParseOptions2.DEFAULT = {
    allowTrailingComma: false
  };
})(ParseOptions || (ParseOptions = {}));
function visit(text, visitor, options = ParseOptions.DEFAULT) {
  const _scanner = createScanner(text, false);
  const _jsonPath = [];
  let suppressedCallbacks = 0;
  function toNoArgVisit(visitFunction) {
    return visitFunction ? () => suppressedCallbacks === 0 && visitFunction(_scanner.getTokenOffset(), _scanner.getTokenLength(), _scanner.getTokenStartLine(), _scanner.getTokenStartCharacter()) : () => true;
  }
  function toOneArgVisit(visitFunction) {
    return visitFunction ? (arg) => suppressedCallbacks === 0 && visitFunction(arg, _scanner.getTokenOffset(), _scanner.getTokenLength(), _scanner.getTokenStartLine(), _scanner.getTokenStartCharacter()) : () => true;
  }
  function toOneArgVisitWithPath(visitFunction) {
    return visitFunction ? (arg) => suppressedCallbacks === 0 && visitFunction(arg, _scanner.getTokenOffset(), _scanner.getTokenLength(), _scanner.getTokenStartLine(), _scanner.getTokenStartCharacter(), () => _jsonPath.slice()) : () => true;
  }
  function toBeginVisit(visitFunction) {
    return visitFunction ? () => {
      if (suppressedCallbacks > 0) {
        suppressedCallbacks++;
      } else {
        let cbReturn = visitFunction(_scanner.getTokenOffset(), _scanner.getTokenLength(), _scanner.getTokenStartLine(), _scanner.getTokenStartCharacter(), () => _jsonPath.slice());
        if (cbReturn === false) {
          suppressedCallbacks = 1;
        }
      }
    } : () => true;
  }
  function toEndVisit(visitFunction) {
    return visitFunction ? () => {
      if (suppressedCallbacks > 0) {
        suppressedCallbacks--;
      }
      if (suppressedCallbacks === 0) {
        visitFunction(_scanner.getTokenOffset(), _scanner.getTokenLength(), _scanner.getTokenStartLine(), _scanner.getTokenStartCharacter());
      }
    } : () => true;
  }
  const onObjectBegin = toBeginVisit(visitor.onObjectBegin), onObjectProperty = toOneArgVisitWithPath(visitor.onObjectProperty), onObjectEnd = toEndVisit(visitor.onObjectEnd), onArrayBegin = toBeginVisit(visitor.onArrayBegin), onArrayEnd = toEndVisit(visitor.onArrayEnd), onLiteralValue = toOneArgVisitWithPath(visitor.onLiteralValue), onSeparator = toOneArgVisit(visitor.onSeparator), onComment = toNoArgVisit(visitor.onComment), onError = toOneArgVisit(visitor.onError);
  const disallowComments = options && options.disallowComments;
  const allowTrailingComma = options && options.allowTrailingComma;
  function scanNext() {
    while (true) {
      const token = _scanner.scan();
      switch (_scanner.getTokenError()) {
        case 4:
          handleError(
            14
            /* ParseErrorCode.InvalidUnicode */
          );
          break;
        case 5:
          handleError(
            15
            /* ParseErrorCode.InvalidEscapeCharacter */
          );
          break;
        case 3:
          handleError(
            13
            /* ParseErrorCode.UnexpectedEndOfNumber */
          );
          break;
        case 1:
          if (!disallowComments) {
            handleError(
              11
              /* ParseErrorCode.UnexpectedEndOfComment */
            );
          }
          break;
        case 2:
          handleError(
            12
            /* ParseErrorCode.UnexpectedEndOfString */
          );
          break;
        case 6:
          handleError(
            16
            /* ParseErrorCode.InvalidCharacter */
          );
          break;
      }
      switch (token) {
        case 12:
        case 13:
          if (disallowComments) {
            handleError(
              10
              /* ParseErrorCode.InvalidCommentToken */
            );
          } else {
            onComment();
          }
          break;
        case 16:
          handleError(
            1
            /* ParseErrorCode.InvalidSymbol */
          );
          break;
        case 15:
        case 14:
          break;
        default:
          return token;
      }
    }
  }
  function handleError(error, skipUntilAfter = [], skipUntil = []) {
    onError(error);
    if (skipUntilAfter.length + skipUntil.length > 0) {
      let token = _scanner.getToken();
      while (token !== 17) {
        if (skipUntilAfter.indexOf(token) !== -1) {
          scanNext();
          break;
        } else if (skipUntil.indexOf(token) !== -1) {
          break;
        }
        token = scanNext();
      }
    }
  }
  function parseString(isValue) {
    const value = _scanner.getTokenValue();
    if (isValue) {
      onLiteralValue(value);
    } else {
      onObjectProperty(value);
      _jsonPath.push(value);
    }
    scanNext();
    return true;
  }
  function parseLiteral() {
    switch (_scanner.getToken()) {
      case 11:
        const tokenValue = _scanner.getTokenValue();
        let value = Number(tokenValue);
        if (isNaN(value)) {
          handleError(
            2
            /* ParseErrorCode.InvalidNumberFormat */
          );
          value = 0;
        }
        onLiteralValue(value);
        break;
      case 7:
        onLiteralValue(null);
        break;
      case 8:
        onLiteralValue(true);
        break;
      case 9:
        onLiteralValue(false);
        break;
      default:
        return false;
    }
    scanNext();
    return true;
  }
  function parseProperty() {
    if (_scanner.getToken() !== 10) {
      handleError(3, [], [
        2,
        5
        /* SyntaxKind.CommaToken */
      ]);
      return false;
    }
    parseString(false);
    if (_scanner.getToken() === 6) {
      onSeparator(":");
      scanNext();
      if (!parseValue()) {
        handleError(4, [], [
          2,
          5
          /* SyntaxKind.CommaToken */
        ]);
      }
    } else {
      handleError(5, [], [
        2,
        5
        /* SyntaxKind.CommaToken */
      ]);
    }
    _jsonPath.pop();
    return true;
  }
  function parseObject() {
    onObjectBegin();
    scanNext();
    let needsComma = false;
    while (_scanner.getToken() !== 2 && _scanner.getToken() !== 17) {
      if (_scanner.getToken() === 5) {
        if (!needsComma) {
          handleError(4, [], []);
        }
        onSeparator(",");
        scanNext();
        if (_scanner.getToken() === 2 && allowTrailingComma) {
          break;
        }
      } else if (needsComma) {
        handleError(6, [], []);
      }
      if (!parseProperty()) {
        handleError(4, [], [
          2,
          5
          /* SyntaxKind.CommaToken */
        ]);
      }
      needsComma = true;
    }
    onObjectEnd();
    if (_scanner.getToken() !== 2) {
      handleError(7, [
        2
        /* SyntaxKind.CloseBraceToken */
      ], []);
    } else {
      scanNext();
    }
    return true;
  }
  function parseArray() {
    onArrayBegin();
    scanNext();
    let isFirstElement = true;
    let needsComma = false;
    while (_scanner.getToken() !== 4 && _scanner.getToken() !== 17) {
      if (_scanner.getToken() === 5) {
        if (!needsComma) {
          handleError(4, [], []);
        }
        onSeparator(",");
        scanNext();
        if (_scanner.getToken() === 4 && allowTrailingComma) {
          break;
        }
      } else if (needsComma) {
        handleError(6, [], []);
      }
      if (isFirstElement) {
        _jsonPath.push(0);
        isFirstElement = false;
      } else {
        _jsonPath[_jsonPath.length - 1]++;
      }
      if (!parseValue()) {
        handleError(4, [], [
          4,
          5
          /* SyntaxKind.CommaToken */
        ]);
      }
      needsComma = true;
    }
    onArrayEnd();
    if (!isFirstElement) {
      _jsonPath.pop();
    }
    if (_scanner.getToken() !== 4) {
      handleError(8, [
        4
        /* SyntaxKind.CloseBracketToken */
      ], []);
    } else {
      scanNext();
    }
    return true;
  }
  function parseValue() {
    switch (_scanner.getToken()) {
      case 3:
        return parseArray();
      case 1:
        return parseObject();
      case 10:
        return parseString(true);
      default:
        return parseLiteral();
    }
  }
  scanNext();
  if (_scanner.getToken() === 17) {
    if (options.allowEmptyContent) {
      return true;
    }
    handleError(4, [], []);
    return false;
  }
  if (!parseValue()) {
    handleError(4, [], []);
    return false;
  }
  if (_scanner.getToken() !== 17) {
    handleError(9, [], []);
  }
  return true;
}

// ../../work/main/node_modules/jsonc-parser/lib/esm/main.js
var ScanError;
(function(ScanError2) {
  ScanError2[ScanError2["None"] = 0] = "None";
  ScanError2[ScanError2["UnexpectedEndOfComment"] = 1] = "UnexpectedEndOfComment";
  ScanError2[ScanError2["UnexpectedEndOfString"] = 2] = "UnexpectedEndOfString";
  ScanError2[ScanError2["UnexpectedEndOfNumber"] = 3] = "UnexpectedEndOfNumber";
  ScanError2[ScanError2["InvalidUnicode"] = 4] = "InvalidUnicode";
  ScanError2[ScanError2["InvalidEscapeCharacter"] = 5] = "InvalidEscapeCharacter";
  ScanError2[ScanError2["InvalidCharacter"] = 6] = "InvalidCharacter";
})(ScanError || (ScanError = {}));
var SyntaxKind;
(function(SyntaxKind2) {
  SyntaxKind2[SyntaxKind2["OpenBraceToken"] = 1] = "OpenBraceToken";
  SyntaxKind2[SyntaxKind2["CloseBraceToken"] = 2] = "CloseBraceToken";
  SyntaxKind2[SyntaxKind2["OpenBracketToken"] = 3] = "OpenBracketToken";
  SyntaxKind2[SyntaxKind2["CloseBracketToken"] = 4] = "CloseBracketToken";
  SyntaxKind2[SyntaxKind2["CommaToken"] = 5] = "CommaToken";
  SyntaxKind2[SyntaxKind2["ColonToken"] = 6] = "ColonToken";
  SyntaxKind2[SyntaxKind2["NullKeyword"] = 7] = "NullKeyword";
  SyntaxKind2[SyntaxKind2["TrueKeyword"] = 8] = "TrueKeyword";
  SyntaxKind2[SyntaxKind2["FalseKeyword"] = 9] = "FalseKeyword";
  SyntaxKind2[SyntaxKind2["StringLiteral"] = 10] = "StringLiteral";
  SyntaxKind2[SyntaxKind2["NumericLiteral"] = 11] = "NumericLiteral";
  SyntaxKind2[SyntaxKind2["LineCommentTrivia"] = 12] = "LineCommentTrivia";
  SyntaxKind2[SyntaxKind2["BlockCommentTrivia"] = 13] = "BlockCommentTrivia";
  SyntaxKind2[SyntaxKind2["LineBreakTrivia"] = 14] = "LineBreakTrivia";
  SyntaxKind2[SyntaxKind2["Trivia"] = 15] = "Trivia";
  SyntaxKind2[SyntaxKind2["Unknown"] = 16] = "Unknown";
  SyntaxKind2[SyntaxKind2["EOF"] = 17] = "EOF";
})(SyntaxKind || (SyntaxKind = {}));
var visit2 = visit;
var ParseErrorCode;
(function(ParseErrorCode2) {
  ParseErrorCode2[ParseErrorCode2["InvalidSymbol"] = 1] = "InvalidSymbol";
  ParseErrorCode2[ParseErrorCode2["InvalidNumberFormat"] = 2] = "InvalidNumberFormat";
  ParseErrorCode2[ParseErrorCode2["PropertyNameExpected"] = 3] = "PropertyNameExpected";
  ParseErrorCode2[ParseErrorCode2["ValueExpected"] = 4] = "ValueExpected";
  ParseErrorCode2[ParseErrorCode2["ColonExpected"] = 5] = "ColonExpected";
  ParseErrorCode2[ParseErrorCode2["CommaExpected"] = 6] = "CommaExpected";
  ParseErrorCode2[ParseErrorCode2["CloseBraceExpected"] = 7] = "CloseBraceExpected";
  ParseErrorCode2[ParseErrorCode2["CloseBracketExpected"] = 8] = "CloseBracketExpected";
  ParseErrorCode2[ParseErrorCode2["EndOfFileExpected"] = 9] = "EndOfFileExpected";
  ParseErrorCode2[ParseErrorCode2["InvalidCommentToken"] = 10] = "InvalidCommentToken";
  ParseErrorCode2[ParseErrorCode2["UnexpectedEndOfComment"] = 11] = "UnexpectedEndOfComment";
  ParseErrorCode2[ParseErrorCode2["UnexpectedEndOfString"] = 12] = "UnexpectedEndOfString";
  ParseErrorCode2[ParseErrorCode2["UnexpectedEndOfNumber"] = 13] = "UnexpectedEndOfNumber";
  ParseErrorCode2[ParseErrorCode2["InvalidUnicode"] = 14] = "InvalidUnicode";
  ParseErrorCode2[ParseErrorCode2["InvalidEscapeCharacter"] = 15] = "InvalidEscapeCharacter";
  ParseErrorCode2[ParseErrorCode2["InvalidCharacter"] = 16] = "InvalidCharacter";
})(ParseErrorCode || (ParseErrorCode = {}));
function printParseErrorCode(code) {
  switch (code) {
    case 1:
      return "InvalidSymbol";
    case 2:
      return "InvalidNumberFormat";
    case 3:
      return "PropertyNameExpected";
    case 4:
      return "ValueExpected";
    case 5:
      return "ColonExpected";
    case 6:
      return "CommaExpected";
    case 7:
      return "CloseBraceExpected";
    case 8:
      return "CloseBracketExpected";
    case 9:
      return "EndOfFileExpected";
    case 10:
      return "InvalidCommentToken";
    case 11:
      return "UnexpectedEndOfComment";
    case 12:
      return "UnexpectedEndOfString";
    case 13:
      return "UnexpectedEndOfNumber";
    case 14:
      return "InvalidUnicode";
    case 15:
      return "InvalidEscapeCharacter";
    case 16:
      return "InvalidCharacter";
  }
  return "<unknown ParseErrorCode>";
}

// ../../work/main/src/schema/json-source.ts
var BOM = "\uFEFF";
function stripBom(text) {
  return text.startsWith(BOM) ? text.slice(1) : text;
}
function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return describeSyntaxError(text, err instanceof Error ? err.message : String(err));
  }
}
function describeSyntaxError(text, v8Message) {
  const m = /^(.*?) in JSON at position (\d+)/s.exec(v8Message);
  if (m) {
    const offset = Math.min(Number(m[2]), text.length);
    return { ok: false, offset, message: `invalid JSON: ${lowerFirst(m[1])}` };
  }
  const first = firstJsoncError(text);
  if (first) return { ok: false, offset: first.offset, message: `invalid JSON: ${first.message}` };
  const short = v8Message.length > 120 ? `${v8Message.slice(0, 120)}...` : v8Message;
  return { ok: false, offset: 0, message: `invalid JSON: ${lowerFirst(short)}` };
}
function lowerFirst(s) {
  return s.length > 1 && /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}
function firstJsoncError(text) {
  const containers = [];
  let found;
  visit2(
    text,
    {
      onObjectBegin: () => void containers.push("object"),
      onObjectEnd: () => void containers.pop(),
      onArrayBegin: () => void containers.push("array"),
      onArrayEnd: () => void containers.pop(),
      onError: (code, offset, length) => {
        if (found) return;
        const closer = containers[containers.length - 1] === "array" ? "]" : "}";
        found = { offset, message: jsoncMessage(printParseErrorCode(code), closer, text.slice(offset, offset + length)) };
      }
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false }
  );
  return found;
}
function jsoncMessage(code, closer, token) {
  switch (code) {
    case "InvalidSymbol": {
      const shown = token.length > 30 ? `${token.slice(0, 30)}...` : token;
      return shown ? `unexpected ${JSON.stringify(shown)}` : "unexpected character";
    }
    case "InvalidNumberFormat":
      return "invalid number";
    case "PropertyNameExpected":
      return "expected a property name in double quotes";
    case "ValueExpected":
      return "expected a value";
    case "ColonExpected":
      return "expected ':'";
    case "CommaExpected":
      return `expected ',' or '${closer}'`;
    case "CloseBraceExpected":
      return "expected ',' or '}'";
    case "CloseBracketExpected":
      return "expected ',' or ']'";
    case "EndOfFileExpected":
      return "unexpected text after the end of the JSON value";
    case "InvalidCommentToken":
    case "UnexpectedEndOfComment":
      return "comments are not allowed";
    case "UnexpectedEndOfString":
      return "unterminated string";
    case "UnexpectedEndOfNumber":
      return "incomplete number";
    case "InvalidUnicode":
      return "invalid \\u escape";
    case "InvalidEscapeCharacter":
      return "invalid escape sequence";
    case "InvalidCharacter":
      return "invalid character in string (control characters must be escaped)";
    default:
      return "syntax error";
  }
}
function escapePointerToken(token) {
  const s = String(token);
  return s.includes("~") || s.includes("/") ? s.replace(/~/g, "~0").replace(/\//g, "~1") : s;
}
function pointer(...tokens) {
  let out = "";
  for (const t of tokens) out += `/${escapePointerToken(t)}`;
  return out;
}
function parsePointer(ptr) {
  if (ptr === "") return [];
  return ptr.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}
var JsonSource = class {
  /** @param text the file's text, BOM already stripped (offsets refer to this text). */
  constructor(text) {
    this.text = text;
  }
  lineStarts;
  containers = /* @__PURE__ */ new Map();
  /** 1-based line:column of a 0-based offset (clamped to the text). */
  positionOfOffset(offset) {
    const starts = this.lineStarts ??= computeLineStarts(this.text);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = lo + hi + 1 >>> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: Math.max(0, offset - starts[lo]) + 1 };
  }
  /**
   * Position of the value a JSON pointer names (or, with target 'key', of its property name
   * when the value is an object member). When the pointer goes past what the document holds,
   * the deepest existing ancestor is used. Undefined when the text holds no JSON value.
   */
  locate(ptr, target = "value") {
    const text = this.text;
    let off = skipWs(text, 0);
    if (off >= text.length) return void 0;
    let keyOff;
    let exact = true;
    for (const token of parsePointer(ptr)) {
      const c = text.charCodeAt(off);
      const members = c === OPEN_BRACE || c === OPEN_BRACKET ? this.members(off) : void 0;
      const next = members === void 0 ? void 0 : Array.isArray(members) ? /^(0|[1-9][0-9]*)$/.test(token) ? { key: void 0, value: members[Number(token)] } : void 0 : members.get(token);
      if (next?.value === void 0) {
        exact = false;
        break;
      }
      off = next.value;
      keyOff = next.key;
    }
    return this.positionOfOffset(exact && target === "key" && keyOff !== void 0 ? keyOff : off);
  }
  /** Offsets of the members of the object or array starting at `start` (cached). */
  members(start) {
    let m = this.containers.get(start);
    if (!m) {
      m = indexContainer(this.text, start);
      this.containers.set(start, m);
    }
    return m;
  }
};
var QUOTE = 34;
var BACKSLASH = 92;
var COMMA = 44;
var OPEN_BRACE = 123;
var CLOSE_BRACE = 125;
var OPEN_BRACKET = 91;
var CLOSE_BRACKET = 93;
function isWs(c) {
  return c === 32 || c === 10 || c === 13 || c === 9;
}
function skipWs(text, i) {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}
function skipString(text, i) {
  let j = i + 1;
  for (; ; ) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}
function skipValue(text, i) {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j2 = i;
    while (j2 < text.length) {
      const ch = text.charCodeAt(j2);
      if (ch === QUOTE) {
        j2 = skipString(text, j2);
        continue;
      }
      if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++;
      else if ((ch === CLOSE_BRACE || ch === CLOSE_BRACKET) && --depth === 0) return j2 + 1;
      j2++;
    }
    return j2;
  }
  let j = i;
  while (j < text.length) {
    const ch = text.charCodeAt(j);
    if (ch === COMMA || ch === CLOSE_BRACE || ch === CLOSE_BRACKET || isWs(ch)) break;
    j++;
  }
  return j;
}
function indexContainer(text, start) {
  const isObject3 = text.charCodeAt(start) === OPEN_BRACE;
  const close = isObject3 ? CLOSE_BRACE : CLOSE_BRACKET;
  const items = [];
  const members = /* @__PURE__ */ new Map();
  let i = skipWs(text, start + 1);
  while (i < text.length && text.charCodeAt(i) !== close) {
    if (isObject3) {
      if (text.charCodeAt(i) !== QUOTE) break;
      const keyEnd = skipString(text, i);
      let name = text.slice(i + 1, keyEnd - 1);
      if (name.includes("\\")) {
        try {
          name = JSON.parse(text.slice(i, keyEnd));
        } catch {
          break;
        }
      }
      const colon = skipWs(text, keyEnd);
      const value = skipWs(text, colon + 1);
      members.set(name, { key: i, value });
      i = value;
    } else {
      items.push(i);
    }
    const end = skipValue(text, i);
    if (end === i) break;
    i = skipWs(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipWs(text, i + 1);
  }
  return isObject3 ? members : items;
}
function computeLineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

// ../../work/main/src/schema/substitute.ts
var VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
function substituteVars(text, values, onIssue) {
  if (!text.includes("${")) return text;
  let out = "";
  let last = 0;
  let k = text.indexOf("$");
  while (k !== -1) {
    const next = text.charCodeAt(k + 1);
    if (next === DOLLAR && text.charCodeAt(k + 2) === OPEN) {
      out += text.slice(last, k) + "${";
      last = k + 3;
      k = text.indexOf("$", last);
      continue;
    }
    if (next !== OPEN) {
      k = text.indexOf("$", k + 1);
      continue;
    }
    let j = k + 2;
    if (isNameStart(text.charCodeAt(j))) {
      j++;
      while (isNameChar(text.charCodeAt(j))) j++;
    }
    if (j > k + 2 && text.charCodeAt(j) === CLOSE) {
      const ref = text.slice(k, j + 1);
      const name = text.slice(k + 2, j);
      const value = values.get(name);
      if (value === void 0) onIssue?.({ kind: "unknown", name, text: ref });
      out += text.slice(last, k) + (value ?? ref);
      last = j + 1;
      k = text.indexOf("$", last);
      continue;
    }
    if (onIssue) {
      const close = text.indexOf("}", k);
      const end = close === -1 || close - k > 40 ? Math.min(text.length, k + 20) : close + 1;
      onIssue({ kind: "malformed", text: text.slice(k, end) });
    }
    k = text.indexOf("$", k + 2);
  }
  return out + text.slice(last);
}
function referencesResolve(text, values) {
  let k = text.indexOf("${");
  while (k !== -1) {
    if (k > 0 && text.charCodeAt(k - 1) === DOLLAR) {
      k = text.indexOf("${", k + 2);
      continue;
    }
    let j = k + 2;
    if (!isNameStart(text.charCodeAt(j))) return false;
    j++;
    while (isNameChar(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== CLOSE || !values.has(text.slice(k + 2, j))) return false;
    k = text.indexOf("${", j + 1);
  }
  return true;
}
var DOLLAR = 36;
var OPEN = 123;
var CLOSE = 125;
function isNameStart(c) {
  return c >= 65 && c <= 90 || c >= 97 && c <= 122 || c === 95;
}
function isNameChar(c) {
  return isNameStart(c) || c >= 48 && c <= 57;
}

// ../../work/main/src/schema/var-pattern.ts
function compileVarPattern(pattern) {
  try {
    return new RegExp(pattern);
  } catch (err) {
    return err instanceof SyntaxError ? err : new SyntaxError(String(err));
  }
}

// ../../work/main/src/schema/problem-list.ts
var COMMAND_LINE = "<command line>";
var ProblemList = class {
  items = [];
  sources = /* @__PURE__ */ new Map();
  fileRank = /* @__PURE__ */ new Map([[COMMAND_LINE, 0]]);
  /** Registers the text of `file` so its problems get line:column. Also fixes report order:
   * command line first, then files in registration order. */
  addSource(file, source) {
    this.sources.set(file, source);
    this.rankOf(file);
  }
  /** The registered source of `file`, if any. */
  source(file) {
    return this.sources.get(file);
  }
  /** Appends a problem (its position is computed by {@link toProblems}). */
  add(problem) {
    this.rankOf(problem.file);
    this.items.push(problem);
  }
  /** Number of problems so far. */
  get length() {
    return this.items.length;
  }
  /**
   * Positions every problem and orders them: by file (command line, then files in the order
   * they were registered), then by line:column; problems without a position come first within
   * their file. Stable otherwise.
   */
  toProblems() {
    const located = this.items.map((p, seq) => {
      const out = { file: p.file, pointer: p.pointer, message: p.message };
      const src = this.sources.get(p.file);
      const at = p.at ?? "value";
      if (src && at !== "none") {
        const pos = typeof at === "object" ? src.positionOfOffset(at.offset) : src.locate(p.pointer, at);
        if (pos) {
          out.line = pos.line;
          out.column = pos.column;
        }
      }
      return { out, seq, rank: this.fileRank.get(p.file) ?? 0 };
    });
    located.sort(
      (a, b) => a.rank - b.rank || (a.out.line ?? 0) - (b.out.line ?? 0) || (a.out.column ?? 0) - (b.out.column ?? 0) || a.seq - b.seq
    );
    return located.map((l) => l.out);
  }
  rankOf(file) {
    let r = this.fileRank.get(file);
    if (r === void 0) {
      r = this.fileRank.size;
      this.fileRank.set(file, r);
    }
    return r;
  }
};

// ../../work/main/src/schema/vars.ts
var BUILTIN_VAR_NAMES = ["RUN_ID", "PLAN_DIR", "STATE_DIR"];
function parseVarArgs(args, problems) {
  const out = /* @__PURE__ */ new Map();
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      const message = eq === 0 ? '--var "=...": expected KEY=VALUE, the key is empty' : `--var ${JSON.stringify(arg)}: expected KEY=VALUE`;
      problems.add({ file: COMMAND_LINE, pointer: "", at: "none", message });
      continue;
    }
    const key = arg.slice(0, eq);
    if (!VAR_NAME_PATTERN.test(key)) {
      problems.add({
        file: COMMAND_LINE,
        pointer: "",
        at: "none",
        message: `--var ${key}=...: invalid variable name ${JSON.stringify(key)} (must match ${VAR_NAME_PATTERN.source})`
      });
      continue;
    }
    out.set(key, arg.slice(eq + 1));
  }
  return out;
}
function resolveVars(inp, problems) {
  const declared = /* @__PURE__ */ new Map();
  if (isObject(inp.declared)) {
    for (const [name, decl] of Object.entries(inp.declared)) declared.set(name, isObject(decl) ? decl : {});
  }
  const builtinSet = new Set(BUILTIN_VAR_NAMES);
  const declaredList = () => {
    const names = [...declared.keys()].filter((n) => !builtinSet.has(n));
    if (names.length === 0) return "the plan declares no variables";
    const shown = names.slice(0, 20).join(", ") + (names.length > 20 ? ", ..." : "");
    return `declared: ${shown}`;
  };
  for (const key of inp.cli.keys()) {
    if (builtinSet.has(key)) {
      problems.add({ file: COMMAND_LINE, pointer: "", at: "none", message: `--var ${key}: ${key} is a built-in variable and cannot be set` });
    } else if (!declared.has(key)) {
      problems.add({
        file: COMMAND_LINE,
        pointer: "",
        at: "none",
        message: `--var ${key}: variable ${JSON.stringify(key)} is not declared in the plan's "vars" (${declaredList()})`
      });
    }
  }
  const fileValues = inp.varsFile?.values ?? /* @__PURE__ */ new Map();
  if (inp.varsFile) {
    for (const key of fileValues.keys()) {
      if (builtinSet.has(key) || !declared.has(key)) {
        const why = builtinSet.has(key) ? `${key} is a built-in variable and cannot be set` : `variable ${JSON.stringify(key)} is not declared in the plan's "vars" (${declaredList()})`;
        problems.add({ file: inp.varsFile.label, pointer: `/${escapePointerToken(key)}`, at: "key", message: why });
      }
    }
  }
  const values = /* @__PURE__ */ new Map();
  const secretNames = [];
  for (const [name, decl] of declared) {
    if (builtinSet.has(name)) {
      problems.add({
        file: inp.planFile,
        pointer: pointer("vars", name),
        at: "key",
        message: `variable ${JSON.stringify(name)} shadows the built-in variable of the same name; rename it`
      });
      continue;
    }
    if (decl.secret === true) secretNames.push(name);
    let value;
    let where;
    if (inp.cli.has(name)) {
      value = inp.cli.get(name);
      where = { file: COMMAND_LINE, pointer: "", at: "none", from: ` (from --var ${name})` };
    } else if (fileValues.has(name)) {
      value = fileValues.get(name);
      where = { file: inp.varsFile.label, pointer: `/${escapePointerToken(name)}`, at: "value", from: "" };
    } else if (typeof decl.default === "string") {
      value = decl.default;
      where = { file: inp.planFile, pointer: pointer("vars", name, "default"), at: "value", from: " (its default)" };
    }
    if (value === void 0 || where === void 0) {
      if (decl.required === true && !inp.varsFileUnreadable) {
        problems.add({
          file: inp.planFile,
          pointer: pointer("vars", name),
          at: "key",
          message: `required variable ${JSON.stringify(name)} has no value: pass --var ${name}=VALUE or set it in a vars file`
        });
      }
      values.set(name, "");
      continue;
    }
    values.set(name, value);
    if (typeof decl.pattern === "string") {
      const re = compileVarPattern(decl.pattern);
      if (re instanceof RegExp && !re.test(value)) {
        const got = decl.secret === true ? "" : `: got ${JSON.stringify(value)}`;
        problems.add({
          file: where.file,
          pointer: where.pointer,
          at: where.at,
          message: `value of variable ${JSON.stringify(name)}${where.from} does not match its pattern /${decl.pattern}/${got}`
        });
      }
    }
  }
  for (const name of BUILTIN_VAR_NAMES) values.set(name, inp.builtins[name]);
  return { values, secretNames };
}
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ../../work/main/src/schema/checks.ts
function checkSteps(steps, file, problems) {
  if (!Array.isArray(steps)) return void 0;
  const n = steps.length;
  const ids = /* @__PURE__ */ new Map();
  const stepIds = new Array(n);
  for (let i = 0; i < n; i++) {
    const step = steps[i];
    const id = isObject2(step) && typeof step.id === "string" ? step.id : void 0;
    stepIds[i] = id;
    if (id === void 0) continue;
    const first = ids.get(id);
    if (first === void 0) ids.set(id, i);
    else {
      problems.add({
        file,
        pointer: pointer("steps", i, "id"),
        message: `duplicate step id ${JSON.stringify(id)} (first used by /steps/${first})`
      });
    }
  }
  const dependsOn = new Array(n);
  const seenBy = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const step = steps[i];
    const deps = [];
    dependsOn[i] = deps;
    if (!isObject2(step)) continue;
    if (step.shell === true && Array.isArray(step.args) && step.args.length > 0) {
      problems.add({
        file,
        pointer: pointer("steps", i, "args"),
        message: "args must be empty when shell is true (put the arguments in the command line)"
      });
    }
    if (Array.isArray(step.preconditions)) checkPreconditions(step.preconditions, i, file, problems);
    if (!Array.isArray(step.depends_on)) continue;
    const list = step.depends_on;
    for (let j = 0; j < list.length; j++) {
      const name = list[j];
      if (typeof name !== "string") continue;
      const d = ids.get(name);
      if (d === void 0) {
        problems.add({ file, pointer: pointer("steps", i, "depends_on", j), message: `depends on unknown step ${JSON.stringify(name)}` });
      } else if (name === stepIds[i]) {
        problems.add({ file, pointer: pointer("steps", i, "depends_on", j), message: `step ${JSON.stringify(name)} depends on itself` });
      } else if (seenBy[d] !== i + 1) {
        seenBy[d] = i + 1;
        deps.push(d);
      }
    }
  }
  const result = topologicalOrder(n, dependsOn);
  if ("order" in result) return { ids, dependsOn, order: result.order };
  const cycle = result.cycle;
  const names = cycle.map((c) => stepIds[c] ?? `#${c}`);
  const from = cycle[0];
  const to = stepIds[cycle[1 % cycle.length]];
  const edge = steps[from].depends_on.indexOf(to);
  problems.add({
    file,
    pointer: pointer("steps", from, "depends_on", Math.max(edge, 0)),
    message: `dependency cycle: ${cyclePath(names)} (each step depends on the next)`
  });
  return { ids, dependsOn, order: void 0 };
}
function checkPreconditions(list, i, file, problems) {
  const tests = ["not_empty", "equals", "matches"];
  for (let j = 0; j < list.length; j++) {
    const p = list[j];
    if (!isObject2(p)) continue;
    const at = pointer("steps", i, "preconditions", j);
    const given = tests.filter((t) => p[t] !== void 0);
    if (p.command !== void 0 && p.value !== void 0) {
      problems.add({ file, pointer: at, message: 'a precondition has either "command" or "value", not both' });
    } else if (p.command !== void 0) {
      if (given.length > 0) problems.add({ file, pointer: `${at}/${given[0]}`, message: `"${given[0]}" goes with "value", not with "command"` });
    } else if (p.value !== void 0) {
      if (given.length !== 1) {
        problems.add({ file, pointer: at, message: `a value precondition needs exactly one of not_empty, equals, matches${given.length ? ` (got ${given.join(", ")})` : ""}` });
      }
      if (p.args !== void 0) problems.add({ file, pointer: `${at}/args`, message: '"args" goes with "command", not with "value"' });
      if (typeof p.matches === "string" && !p.matches.includes("${")) {
        const re = compileVarPattern(p.matches);
        if (re instanceof SyntaxError) problems.add({ file, pointer: `${at}/matches`, message: `invalid regular expression: ${re.message.replace(/^Invalid regular expression: /, "")}` });
      }
    } else {
      problems.add({ file, pointer: at, message: 'a precondition needs "command" or "value"' });
    }
  }
}
function cyclePath(names) {
  const shown = names.length <= 20 ? names : [...names.slice(0, 15), `... (${names.length - 19} more)`, ...names.slice(-4)];
  return [...shown, names[0]].join(" -> ");
}
function checkReferences(plan, known, file, problems) {
  if (!isObject2(plan)) return;
  const values = /* @__PURE__ */ new Map();
  for (const name of known) values.set(name, "");
  const hasBadRef = (v) => typeof v === "string" && v.includes("${") && !referencesResolve(v, values);
  const check = (text, ptr) => {
    const unknown = [];
    const malformed = [];
    substituteVars(text, values, (issue) => {
      if (issue.kind === "unknown") unknown.push(issue.name);
      else malformed.push(issue.text);
    });
    if (unknown.length > 0) {
      const names = [...new Set(unknown)].map((u) => `\${${u}}`).join(", ");
      const declared = [...known].filter((k) => !BUILTIN_VAR_NAMES.includes(k));
      const hint = declared.length ? `declared: ${declared.slice(0, 20).join(", ")}; ` : "";
      problems.add({
        file,
        pointer: ptr,
        message: `unknown variable ${names} (${hint}built-in: ${BUILTIN_VAR_NAMES.join(", ")})`
      });
    }
    for (const m of malformed) {
      problems.add({
        file,
        pointer: ptr,
        message: `invalid variable reference ${JSON.stringify(m)}: names must match ^[A-Za-z_][A-Za-z0-9_]*$; write $\${ for a literal \${`
      });
    }
  };
  const checkMap = (map, ...base) => {
    if (!isObject2(map)) return;
    for (const k in map) {
      const v = map[k];
      if (hasBadRef(v)) check(v, pointer(...base, k));
    }
  };
  const globals = plan.globals;
  if (isObject2(globals)) {
    if (hasBadRef(globals.working_dir)) check(globals.working_dir, "/globals/working_dir");
    checkMap(globals.env, "globals", "env");
  }
  const steps = plan.steps;
  if (!Array.isArray(steps)) return;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!isObject2(step)) continue;
    if (hasBadRef(step.command)) check(step.command, pointer("steps", i, "command"));
    if (hasBadRef(step.cwd)) check(step.cwd, pointer("steps", i, "cwd"));
    if (Array.isArray(step.args)) {
      const args = step.args;
      for (let j = 0; j < args.length; j++) {
        const a = args[j];
        if (hasBadRef(a)) check(a, pointer("steps", i, "args", j));
      }
    }
    if (step.env !== void 0) checkMap(step.env, "steps", i, "env");
    if (Array.isArray(step.preconditions)) {
      const list = step.preconditions;
      for (let j = 0; j < list.length; j++) {
        const p = list[j];
        if (!isObject2(p)) continue;
        for (const key of ["command", "value", "equals", "matches"]) {
          if (hasBadRef(p[key])) check(p[key], pointer("steps", i, "preconditions", j, key));
        }
        if (Array.isArray(p.args)) checkMap(p.args, "steps", i, "preconditions", j, "args");
      }
    }
  }
}
function isObject2(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ../../work/main/src/schema/resolve.ts
import os from "node:os";
import path from "node:path";
var GLOBAL_DEFAULTS = {
  defaultTimeoutSec: 3600,
  killGraceSec: 10
};
function resolvePlan(plan, ctx) {
  if (!ctx.graph.order) throw new Error("resolvePlan: the plan has a dependency cycle");
  const vars = ctx.vars;
  const sub = (s) => substituteVars(s, vars);
  const g = plan.globals ?? {};
  const globalEnv = substituteMap(g.env, vars);
  const baseDir = g.working_dir === void 0 ? ctx.cwd : path.resolve(ctx.cwd, sub(g.working_dir));
  const defaultTimeoutSec = g.default_timeout_sec ?? GLOBAL_DEFAULTS.defaultTimeoutSec;
  const globalEnvEmpty = Object.keys(globalEnv).length === 0;
  const steps = new Array(plan.steps.length);
  for (let i = 0; i < plan.steps.length; i++) {
    const s = plan.steps[i];
    const stepEnv = s.env === void 0 ? void 0 : substituteMap(s.env, vars);
    const env = stepEnv === void 0 ? { ...globalEnv } : globalEnvEmpty ? stepEnv : { ...globalEnv, ...stepEnv };
    steps[i] = {
      id: s.id,
      index: i,
      name: s.name ?? s.id,
      command: sub(s.command),
      args: s.args === void 0 ? [] : s.args.map(sub),
      shell: s.shell ?? false,
      dependsOn: ctx.graph.dependsOn[i],
      timeoutMs: secondsToMs(s.timeout_sec ?? defaultTimeoutSec, true),
      retry: {
        retries: s.retries ?? 0,
        delayMs: secondsToMs(s.retry_delay_sec ?? 0, false),
        backoff: s.retry_backoff ?? 1,
        maxDelayMs: s.retry_max_delay_sec === void 0 ? Infinity : secondsToMs(s.retry_max_delay_sec, false)
      },
      critical: s.critical ?? true,
      onFailure: s.on_failure ?? "abort",
      triggerRule: s.trigger_rule ?? "all_success",
      cwd: s.cwd === void 0 ? baseDir : path.resolve(baseDir, sub(s.cwd)),
      env,
      successExitCodes: s.success_exit_codes === void 0 ? [0] : [...s.success_exit_codes],
      preconditions: s.preconditions === void 0 ? [] : s.preconditions.map((p) => resolvePrecondition(p, sub))
    };
  }
  return {
    planId: plan.plan_id,
    version: plan.version,
    description: plan.description,
    metadata: plan.metadata ?? {},
    path: ctx.path,
    sha256: ctx.sha256,
    dir: path.dirname(ctx.path),
    maxConcurrency: ctx.maxConcurrency ?? g.max_concurrency ?? os.availableParallelism(),
    killGraceMs: secondsToMs(g.kill_grace_sec ?? GLOBAL_DEFAULTS.killGraceSec, false),
    vars: Object.fromEntries(vars),
    secretNames: [...ctx.secretNames],
    steps,
    order: ctx.graph.order
  };
}
function secondsToMs(sec, positive) {
  const ms = Math.round(sec * 1e3);
  return positive && sec > 0 && ms === 0 ? 1 : ms;
}
function substituteMap(map, vars) {
  if (map === void 0) return {};
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, substituteVars(v, vars)]));
}
function resolvePrecondition(p, sub) {
  if (p.command !== void 0) {
    const command = sub(p.command);
    const args = (p.args ?? []).map(sub);
    return { kind: "command", label: p.description ?? [command, ...args].join(" "), command, args };
  }
  const value = sub(p.value ?? "");
  const raw = p.value ?? "";
  if (p.equals !== void 0) {
    return { kind: "equals", label: p.description ?? `${raw} equals ${JSON.stringify(p.equals)}`, value, expected: sub(p.equals) };
  }
  if (p.matches !== void 0) {
    const label = p.description ?? `${raw} matches /${p.matches}/`;
    const pattern = compileVarPattern(sub(p.matches));
    if (pattern instanceof SyntaxError) return { kind: "matches", label: `${label} (invalid regular expression)`, value, pattern: /(?!)/ };
    return { kind: "matches", label, value, pattern };
  }
  return { kind: "not_empty", label: p.description ?? `${raw} is not empty`, value };
}

// ../../work/main/src/schema/plan-validator.generated.js
var import_ucs2length = __toESM(require_ucs2length(), 1);
var cjs = (m) => typeof m === "function" ? { default: m } : m;
var plan_validator_generated_default = validate20;
var schema31 = { "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://engine.local/schemas/plan.schema.json", "title": "Plan", "description": "A plan for `engine run`: steps (external commands) whose depends_on edges form a DAG.", "type": "object", "additionalProperties": false, "required": ["plan_id", "version", "steps"], "properties": { "$schema": { "type": "string", "description": "Path or URL of this schema, for editors." }, "plan_id": { "type": "string", "minLength": 1, "description": "Stable identifier of the plan." }, "version": { "type": "string", "minLength": 1, "description": "Version of the plan." }, "description": { "type": "string" }, "metadata": { "type": "object", "description": "Free-form data, recorded but not interpreted." }, "vars": { "type": "object", "description": "Declared variables, referenced as ${NAME}.", "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" }, "additionalProperties": { "$ref": "#/$defs/VarDecl" } }, "globals": { "$ref": "#/$defs/Globals" }, "steps": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/Step" } } }, "$defs": { "VarDecl": { "type": "object", "additionalProperties": false, "properties": { "description": { "type": "string" }, "default": { "type": "string", "description": "Value used when neither --var nor --vars-file gives one." }, "required": { "type": "boolean", "default": false, "description": "The run refuses to start without a value." }, "pattern": { "type": "string", "format": "regex", "description": "Regular expression (ECMAScript, unanchored: add ^ and $) the value must match." }, "secret": { "type": "boolean", "default": false, "description": "The value is shown as *** in events, runs.db and console output." } } }, "StringMap": { "type": "object", "additionalProperties": { "type": "string" } }, "Globals": { "type": "object", "additionalProperties": false, "properties": { "max_concurrency": { "type": "integer", "minimum": 1, "description": "Steps running at once; default: number of CPUs." }, "default_timeout_sec": { "type": "number", "exclusiveMinimum": 0, "default": 3600, "description": "Timeout of an attempt when the step gives none, in seconds." }, "kill_grace_sec": { "type": "number", "minimum": 0, "default": 10, "description": "Seconds between SIGTERM and SIGKILL when a step is stopped." }, "env": { "$ref": "#/$defs/StringMap", "description": "Environment added to every step." }, "working_dir": { "type": "string", "description": "Working directory of every step; a relative path resolves against the directory engine runs in (use ${PLAN_DIR}/... for the plan file's directory). Variables are substituted." } } }, "Step": { "type": "object", "additionalProperties": false, "required": ["id", "command"], "properties": { "id": { "type": "string", "pattern": "^[A-Za-z0-9_.-]+$" }, "name": { "type": "string" }, "description": { "type": "string" }, "command": { "type": "string", "minLength": 1, "description": "Executable (looked up on PATH), or a shell script line when shell is true." }, "args": { "type": "array", "items": { "type": "string" }, "default": [] }, "depends_on": { "type": "array", "items": { "type": "string" }, "default": [] }, "timeout_sec": { "type": "number", "exclusiveMinimum": 0, "description": "Timeout of each attempt, in seconds." }, "retries": { "type": "integer", "minimum": 0, "default": 0, "description": "Further attempts after a failure or timeout." }, "retry_delay_sec": { "type": "number", "minimum": 0, "default": 0 }, "retry_backoff": { "type": "number", "minimum": 1, "default": 1, "description": "Multiplier of the delay after each failed attempt." }, "retry_max_delay_sec": { "type": "number", "minimum": 0, "description": "Upper bound of the delay between attempts, in seconds." }, "critical": { "type": "boolean", "default": true, "description": "When false, the step's failure neither fails nor aborts the run." }, "on_failure": { "enum": ["abort", "skip_dependents", "continue"], "default": "abort" }, "trigger_rule": { "enum": ["all_success", "all_done", "one_failed", "none_failed"], "default": "all_success" }, "cwd": { "type": "string", "description": "Working directory; a relative path resolves against globals.working_dir (default: the directory engine runs in). Variables are substituted." }, "env": { "$ref": "#/$defs/StringMap" }, "shell": { "type": "boolean", "default": false, "description": "Run command as a /bin/sh script line; args must then be empty." }, "success_exit_codes": { "type": "array", "items": { "type": "integer" }, "minItems": 1, "default": [0] }, "preconditions": { "type": "array", "description": "Checks made once, when the step becomes ready (before its first attempt). All must hold; otherwise the step is skipped with reason `precondition` and its dependents see a skipped dependency.", "items": { "$ref": "#/$defs/Precondition" } } } }, "Precondition": { "type": "object", "additionalProperties": false, "description": "Either a command ({command, args}: holds when it exits 0; run without a shell in the step's cwd and env, bounded by the step's timeout) or a value test ({value} with exactly one of not_empty, equals, matches).", "properties": { "description": { "type": "string", "description": "Shown when the precondition does not hold." }, "command": { "type": "string", "minLength": 1, "description": "Executable looked up on PATH; the precondition holds when it exits 0." }, "args": { "type": "array", "items": { "type": "string" } }, "value": { "type": "string", "description": "Text to test, usually a ${VAR} reference." }, "not_empty": { "const": true, "description": "Holds when value is not the empty string." }, "equals": { "type": "string", "description": "Holds when value equals this text." }, "matches": { "type": "string", "description": "Holds when value matches this regular expression (ECMAScript, unanchored)." } } } } };
var schema32 = { "type": "object", "additionalProperties": false, "properties": { "description": { "type": "string" }, "default": { "type": "string", "description": "Value used when neither --var nor --vars-file gives one." }, "required": { "type": "boolean", "default": false, "description": "The run refuses to start without a value." }, "pattern": { "type": "string", "format": "regex", "description": "Regular expression (ECMAScript, unanchored: add ^ and $) the value must match." }, "secret": { "type": "boolean", "default": false, "description": "The value is shown as *** in events, runs.db and console output." } } };
var func1 = cjs(import_ucs2length.default).default;
var pattern4 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*$", "u");
var schema33 = { "type": "object", "additionalProperties": false, "properties": { "max_concurrency": { "type": "integer", "minimum": 1, "description": "Steps running at once; default: number of CPUs." }, "default_timeout_sec": { "type": "number", "exclusiveMinimum": 0, "default": 3600, "description": "Timeout of an attempt when the step gives none, in seconds." }, "kill_grace_sec": { "type": "number", "minimum": 0, "default": 10, "description": "Seconds between SIGTERM and SIGKILL when a step is stopped." }, "env": { "$ref": "#/$defs/StringMap", "description": "Environment added to every step." }, "working_dir": { "type": "string", "description": "Working directory of every step; a relative path resolves against the directory engine runs in (use ${PLAN_DIR}/... for the plan file's directory). Variables are substituted." } } };
var schema34 = { "type": "object", "additionalProperties": { "type": "string" } };
function validate21(data, { instancePath = "", parentData, parentDataProperty, rootData = data, dynamicAnchors = {} } = {}) {
  let vErrors = null;
  let errors = 0;
  const evaluated0 = validate21.evaluated;
  if (evaluated0.dynamicProps) {
    evaluated0.props = void 0;
  }
  if (evaluated0.dynamicItems) {
    evaluated0.items = void 0;
  }
  if (data && typeof data == "object" && !Array.isArray(data)) {
    for (const key0 in data) {
      if (!(key0 === "max_concurrency" || key0 === "default_timeout_sec" || key0 === "kill_grace_sec" || key0 === "env" || key0 === "working_dir")) {
        const err0 = { instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties", schema: false, parentSchema: schema33, data };
        if (vErrors === null) {
          vErrors = [err0];
        } else {
          vErrors.push(err0);
        }
        errors++;
      }
    }
    if (data.max_concurrency !== void 0) {
      let data0 = data.max_concurrency;
      if (!(typeof data0 == "number" && (!(data0 % 1) && !isNaN(data0)) && isFinite(data0))) {
        const err1 = { instancePath: instancePath + "/max_concurrency", schemaPath: "#/properties/max_concurrency/type", keyword: "type", params: { type: "integer" }, message: "must be integer", schema: schema33.properties.max_concurrency.type, parentSchema: schema33.properties.max_concurrency, data: data0 };
        if (vErrors === null) {
          vErrors = [err1];
        } else {
          vErrors.push(err1);
        }
        errors++;
      }
      if (typeof data0 == "number" && isFinite(data0)) {
        if (data0 < 1 || isNaN(data0)) {
          const err2 = { instancePath: instancePath + "/max_concurrency", schemaPath: "#/properties/max_concurrency/minimum", keyword: "minimum", params: { comparison: ">=", limit: 1 }, message: "must be >= 1", schema: 1, parentSchema: schema33.properties.max_concurrency, data: data0 };
          if (vErrors === null) {
            vErrors = [err2];
          } else {
            vErrors.push(err2);
          }
          errors++;
        }
      }
    }
    if (data.default_timeout_sec !== void 0) {
      let data1 = data.default_timeout_sec;
      if (typeof data1 == "number" && isFinite(data1)) {
        if (data1 <= 0 || isNaN(data1)) {
          const err3 = { instancePath: instancePath + "/default_timeout_sec", schemaPath: "#/properties/default_timeout_sec/exclusiveMinimum", keyword: "exclusiveMinimum", params: { comparison: ">", limit: 0 }, message: "must be > 0", schema: 0, parentSchema: schema33.properties.default_timeout_sec, data: data1 };
          if (vErrors === null) {
            vErrors = [err3];
          } else {
            vErrors.push(err3);
          }
          errors++;
        }
      } else {
        const err4 = { instancePath: instancePath + "/default_timeout_sec", schemaPath: "#/properties/default_timeout_sec/type", keyword: "type", params: { type: "number" }, message: "must be number", schema: schema33.properties.default_timeout_sec.type, parentSchema: schema33.properties.default_timeout_sec, data: data1 };
        if (vErrors === null) {
          vErrors = [err4];
        } else {
          vErrors.push(err4);
        }
        errors++;
      }
    }
    if (data.kill_grace_sec !== void 0) {
      let data2 = data.kill_grace_sec;
      if (typeof data2 == "number" && isFinite(data2)) {
        if (data2 < 0 || isNaN(data2)) {
          const err5 = { instancePath: instancePath + "/kill_grace_sec", schemaPath: "#/properties/kill_grace_sec/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0", schema: 0, parentSchema: schema33.properties.kill_grace_sec, data: data2 };
          if (vErrors === null) {
            vErrors = [err5];
          } else {
            vErrors.push(err5);
          }
          errors++;
        }
      } else {
        const err6 = { instancePath: instancePath + "/kill_grace_sec", schemaPath: "#/properties/kill_grace_sec/type", keyword: "type", params: { type: "number" }, message: "must be number", schema: schema33.properties.kill_grace_sec.type, parentSchema: schema33.properties.kill_grace_sec, data: data2 };
        if (vErrors === null) {
          vErrors = [err6];
        } else {
          vErrors.push(err6);
        }
        errors++;
      }
    }
    if (data.env !== void 0) {
      let data3 = data.env;
      if (data3 && typeof data3 == "object" && !Array.isArray(data3)) {
        for (const key1 in data3) {
          let data4 = data3[key1];
          if (typeof data4 !== "string") {
            const err7 = { instancePath: instancePath + "/env/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/$defs/StringMap/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema34.additionalProperties.type, parentSchema: schema34.additionalProperties, data: data4 };
            if (vErrors === null) {
              vErrors = [err7];
            } else {
              vErrors.push(err7);
            }
            errors++;
          }
        }
      } else {
        const err8 = { instancePath: instancePath + "/env", schemaPath: "#/$defs/StringMap/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema34.type, parentSchema: schema34, data: data3 };
        if (vErrors === null) {
          vErrors = [err8];
        } else {
          vErrors.push(err8);
        }
        errors++;
      }
    }
    if (data.working_dir !== void 0) {
      let data5 = data.working_dir;
      if (typeof data5 !== "string") {
        const err9 = { instancePath: instancePath + "/working_dir", schemaPath: "#/properties/working_dir/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema33.properties.working_dir.type, parentSchema: schema33.properties.working_dir, data: data5 };
        if (vErrors === null) {
          vErrors = [err9];
        } else {
          vErrors.push(err9);
        }
        errors++;
      }
    }
  } else {
    const err10 = { instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema33.type, parentSchema: schema33, data };
    if (vErrors === null) {
      vErrors = [err10];
    } else {
      vErrors.push(err10);
    }
    errors++;
  }
  validate21.errors = vErrors;
  return errors === 0;
}
validate21.evaluated = { "props": true, "dynamicProps": false, "dynamicItems": false };
var schema35 = { "type": "object", "additionalProperties": false, "required": ["id", "command"], "properties": { "id": { "type": "string", "pattern": "^[A-Za-z0-9_.-]+$" }, "name": { "type": "string" }, "description": { "type": "string" }, "command": { "type": "string", "minLength": 1, "description": "Executable (looked up on PATH), or a shell script line when shell is true." }, "args": { "type": "array", "items": { "type": "string" }, "default": [] }, "depends_on": { "type": "array", "items": { "type": "string" }, "default": [] }, "timeout_sec": { "type": "number", "exclusiveMinimum": 0, "description": "Timeout of each attempt, in seconds." }, "retries": { "type": "integer", "minimum": 0, "default": 0, "description": "Further attempts after a failure or timeout." }, "retry_delay_sec": { "type": "number", "minimum": 0, "default": 0 }, "retry_backoff": { "type": "number", "minimum": 1, "default": 1, "description": "Multiplier of the delay after each failed attempt." }, "retry_max_delay_sec": { "type": "number", "minimum": 0, "description": "Upper bound of the delay between attempts, in seconds." }, "critical": { "type": "boolean", "default": true, "description": "When false, the step's failure neither fails nor aborts the run." }, "on_failure": { "enum": ["abort", "skip_dependents", "continue"], "default": "abort" }, "trigger_rule": { "enum": ["all_success", "all_done", "one_failed", "none_failed"], "default": "all_success" }, "cwd": { "type": "string", "description": "Working directory; a relative path resolves against globals.working_dir (default: the directory engine runs in). Variables are substituted." }, "env": { "$ref": "#/$defs/StringMap" }, "shell": { "type": "boolean", "default": false, "description": "Run command as a /bin/sh script line; args must then be empty." }, "success_exit_codes": { "type": "array", "items": { "type": "integer" }, "minItems": 1, "default": [0] }, "preconditions": { "type": "array", "description": "Checks made once, when the step becomes ready (before its first attempt). All must hold; otherwise the step is skipped with reason `precondition` and its dependents see a skipped dependency.", "items": { "$ref": "#/$defs/Precondition" } } } };
var schema37 = { "type": "object", "additionalProperties": false, "description": "Either a command ({command, args}: holds when it exits 0; run without a shell in the step's cwd and env, bounded by the step's timeout) or a value test ({value} with exactly one of not_empty, equals, matches).", "properties": { "description": { "type": "string", "description": "Shown when the precondition does not hold." }, "command": { "type": "string", "minLength": 1, "description": "Executable looked up on PATH; the precondition holds when it exits 0." }, "args": { "type": "array", "items": { "type": "string" } }, "value": { "type": "string", "description": "Text to test, usually a ${VAR} reference." }, "not_empty": { "const": true, "description": "Holds when value is not the empty string." }, "equals": { "type": "string", "description": "Holds when value equals this text." }, "matches": { "type": "string", "description": "Holds when value matches this regular expression (ECMAScript, unanchored)." } } };
var func3 = Object.prototype.hasOwnProperty;
var pattern5 = new RegExp("^[A-Za-z0-9_.-]+$", "u");
function validate23(data, { instancePath = "", parentData, parentDataProperty, rootData = data, dynamicAnchors = {} } = {}) {
  let vErrors = null;
  let errors = 0;
  const evaluated0 = validate23.evaluated;
  if (evaluated0.dynamicProps) {
    evaluated0.props = void 0;
  }
  if (evaluated0.dynamicItems) {
    evaluated0.items = void 0;
  }
  if (data && typeof data == "object" && !Array.isArray(data)) {
    if (data.id === void 0) {
      const err0 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "id" }, message: "must have required property 'id'", schema: schema35.required, parentSchema: schema35, data };
      if (vErrors === null) {
        vErrors = [err0];
      } else {
        vErrors.push(err0);
      }
      errors++;
    }
    if (data.command === void 0) {
      const err1 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "command" }, message: "must have required property 'command'", schema: schema35.required, parentSchema: schema35, data };
      if (vErrors === null) {
        vErrors = [err1];
      } else {
        vErrors.push(err1);
      }
      errors++;
    }
    for (const key0 in data) {
      if (!func3.call(schema35.properties, key0)) {
        const err2 = { instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties", schema: false, parentSchema: schema35, data };
        if (vErrors === null) {
          vErrors = [err2];
        } else {
          vErrors.push(err2);
        }
        errors++;
      }
    }
    if (data.id !== void 0) {
      let data0 = data.id;
      if (typeof data0 === "string") {
        if (!pattern5.test(data0)) {
          const err3 = { instancePath: instancePath + "/id", schemaPath: "#/properties/id/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9_.-]+$" }, message: 'must match pattern "^[A-Za-z0-9_.-]+$"', schema: "^[A-Za-z0-9_.-]+$", parentSchema: schema35.properties.id, data: data0 };
          if (vErrors === null) {
            vErrors = [err3];
          } else {
            vErrors.push(err3);
          }
          errors++;
        }
      } else {
        const err4 = { instancePath: instancePath + "/id", schemaPath: "#/properties/id/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.id.type, parentSchema: schema35.properties.id, data: data0 };
        if (vErrors === null) {
          vErrors = [err4];
        } else {
          vErrors.push(err4);
        }
        errors++;
      }
    }
    if (data.name !== void 0) {
      let data1 = data.name;
      if (typeof data1 !== "string") {
        const err5 = { instancePath: instancePath + "/name", schemaPath: "#/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.name.type, parentSchema: schema35.properties.name, data: data1 };
        if (vErrors === null) {
          vErrors = [err5];
        } else {
          vErrors.push(err5);
        }
        errors++;
      }
    }
    if (data.description !== void 0) {
      let data2 = data.description;
      if (typeof data2 !== "string") {
        const err6 = { instancePath: instancePath + "/description", schemaPath: "#/properties/description/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.description.type, parentSchema: schema35.properties.description, data: data2 };
        if (vErrors === null) {
          vErrors = [err6];
        } else {
          vErrors.push(err6);
        }
        errors++;
      }
    }
    if (data.command !== void 0) {
      let data3 = data.command;
      if (typeof data3 === "string") {
        if (func1(data3) < 1) {
          const err7 = { instancePath: instancePath + "/command", schemaPath: "#/properties/command/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters", schema: 1, parentSchema: schema35.properties.command, data: data3 };
          if (vErrors === null) {
            vErrors = [err7];
          } else {
            vErrors.push(err7);
          }
          errors++;
        }
      } else {
        const err8 = { instancePath: instancePath + "/command", schemaPath: "#/properties/command/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.command.type, parentSchema: schema35.properties.command, data: data3 };
        if (vErrors === null) {
          vErrors = [err8];
        } else {
          vErrors.push(err8);
        }
        errors++;
      }
    }
    if (data.args !== void 0) {
      let data4 = data.args;
      if (Array.isArray(data4)) {
        const len0 = data4.length;
        for (let i0 = 0; i0 < len0; i0++) {
          let data5 = data4[i0];
          if (typeof data5 !== "string") {
            const err9 = { instancePath: instancePath + "/args/" + i0, schemaPath: "#/properties/args/items/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.args.items.type, parentSchema: schema35.properties.args.items, data: data5 };
            if (vErrors === null) {
              vErrors = [err9];
            } else {
              vErrors.push(err9);
            }
            errors++;
          }
        }
      } else {
        const err10 = { instancePath: instancePath + "/args", schemaPath: "#/properties/args/type", keyword: "type", params: { type: "array" }, message: "must be array", schema: schema35.properties.args.type, parentSchema: schema35.properties.args, data: data4 };
        if (vErrors === null) {
          vErrors = [err10];
        } else {
          vErrors.push(err10);
        }
        errors++;
      }
    }
    if (data.depends_on !== void 0) {
      let data6 = data.depends_on;
      if (Array.isArray(data6)) {
        const len1 = data6.length;
        for (let i1 = 0; i1 < len1; i1++) {
          let data7 = data6[i1];
          if (typeof data7 !== "string") {
            const err11 = { instancePath: instancePath + "/depends_on/" + i1, schemaPath: "#/properties/depends_on/items/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.depends_on.items.type, parentSchema: schema35.properties.depends_on.items, data: data7 };
            if (vErrors === null) {
              vErrors = [err11];
            } else {
              vErrors.push(err11);
            }
            errors++;
          }
        }
      } else {
        const err12 = { instancePath: instancePath + "/depends_on", schemaPath: "#/properties/depends_on/type", keyword: "type", params: { type: "array" }, message: "must be array", schema: schema35.properties.depends_on.type, parentSchema: schema35.properties.depends_on, data: data6 };
        if (vErrors === null) {
          vErrors = [err12];
        } else {
          vErrors.push(err12);
        }
        errors++;
      }
    }
    if (data.timeout_sec !== void 0) {
      let data8 = data.timeout_sec;
      if (typeof data8 == "number" && isFinite(data8)) {
        if (data8 <= 0 || isNaN(data8)) {
          const err13 = { instancePath: instancePath + "/timeout_sec", schemaPath: "#/properties/timeout_sec/exclusiveMinimum", keyword: "exclusiveMinimum", params: { comparison: ">", limit: 0 }, message: "must be > 0", schema: 0, parentSchema: schema35.properties.timeout_sec, data: data8 };
          if (vErrors === null) {
            vErrors = [err13];
          } else {
            vErrors.push(err13);
          }
          errors++;
        }
      } else {
        const err14 = { instancePath: instancePath + "/timeout_sec", schemaPath: "#/properties/timeout_sec/type", keyword: "type", params: { type: "number" }, message: "must be number", schema: schema35.properties.timeout_sec.type, parentSchema: schema35.properties.timeout_sec, data: data8 };
        if (vErrors === null) {
          vErrors = [err14];
        } else {
          vErrors.push(err14);
        }
        errors++;
      }
    }
    if (data.retries !== void 0) {
      let data9 = data.retries;
      if (!(typeof data9 == "number" && (!(data9 % 1) && !isNaN(data9)) && isFinite(data9))) {
        const err15 = { instancePath: instancePath + "/retries", schemaPath: "#/properties/retries/type", keyword: "type", params: { type: "integer" }, message: "must be integer", schema: schema35.properties.retries.type, parentSchema: schema35.properties.retries, data: data9 };
        if (vErrors === null) {
          vErrors = [err15];
        } else {
          vErrors.push(err15);
        }
        errors++;
      }
      if (typeof data9 == "number" && isFinite(data9)) {
        if (data9 < 0 || isNaN(data9)) {
          const err16 = { instancePath: instancePath + "/retries", schemaPath: "#/properties/retries/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0", schema: 0, parentSchema: schema35.properties.retries, data: data9 };
          if (vErrors === null) {
            vErrors = [err16];
          } else {
            vErrors.push(err16);
          }
          errors++;
        }
      }
    }
    if (data.retry_delay_sec !== void 0) {
      let data10 = data.retry_delay_sec;
      if (typeof data10 == "number" && isFinite(data10)) {
        if (data10 < 0 || isNaN(data10)) {
          const err17 = { instancePath: instancePath + "/retry_delay_sec", schemaPath: "#/properties/retry_delay_sec/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0", schema: 0, parentSchema: schema35.properties.retry_delay_sec, data: data10 };
          if (vErrors === null) {
            vErrors = [err17];
          } else {
            vErrors.push(err17);
          }
          errors++;
        }
      } else {
        const err18 = { instancePath: instancePath + "/retry_delay_sec", schemaPath: "#/properties/retry_delay_sec/type", keyword: "type", params: { type: "number" }, message: "must be number", schema: schema35.properties.retry_delay_sec.type, parentSchema: schema35.properties.retry_delay_sec, data: data10 };
        if (vErrors === null) {
          vErrors = [err18];
        } else {
          vErrors.push(err18);
        }
        errors++;
      }
    }
    if (data.retry_backoff !== void 0) {
      let data11 = data.retry_backoff;
      if (typeof data11 == "number" && isFinite(data11)) {
        if (data11 < 1 || isNaN(data11)) {
          const err19 = { instancePath: instancePath + "/retry_backoff", schemaPath: "#/properties/retry_backoff/minimum", keyword: "minimum", params: { comparison: ">=", limit: 1 }, message: "must be >= 1", schema: 1, parentSchema: schema35.properties.retry_backoff, data: data11 };
          if (vErrors === null) {
            vErrors = [err19];
          } else {
            vErrors.push(err19);
          }
          errors++;
        }
      } else {
        const err20 = { instancePath: instancePath + "/retry_backoff", schemaPath: "#/properties/retry_backoff/type", keyword: "type", params: { type: "number" }, message: "must be number", schema: schema35.properties.retry_backoff.type, parentSchema: schema35.properties.retry_backoff, data: data11 };
        if (vErrors === null) {
          vErrors = [err20];
        } else {
          vErrors.push(err20);
        }
        errors++;
      }
    }
    if (data.retry_max_delay_sec !== void 0) {
      let data12 = data.retry_max_delay_sec;
      if (typeof data12 == "number" && isFinite(data12)) {
        if (data12 < 0 || isNaN(data12)) {
          const err21 = { instancePath: instancePath + "/retry_max_delay_sec", schemaPath: "#/properties/retry_max_delay_sec/minimum", keyword: "minimum", params: { comparison: ">=", limit: 0 }, message: "must be >= 0", schema: 0, parentSchema: schema35.properties.retry_max_delay_sec, data: data12 };
          if (vErrors === null) {
            vErrors = [err21];
          } else {
            vErrors.push(err21);
          }
          errors++;
        }
      } else {
        const err22 = { instancePath: instancePath + "/retry_max_delay_sec", schemaPath: "#/properties/retry_max_delay_sec/type", keyword: "type", params: { type: "number" }, message: "must be number", schema: schema35.properties.retry_max_delay_sec.type, parentSchema: schema35.properties.retry_max_delay_sec, data: data12 };
        if (vErrors === null) {
          vErrors = [err22];
        } else {
          vErrors.push(err22);
        }
        errors++;
      }
    }
    if (data.critical !== void 0) {
      let data13 = data.critical;
      if (typeof data13 !== "boolean") {
        const err23 = { instancePath: instancePath + "/critical", schemaPath: "#/properties/critical/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean", schema: schema35.properties.critical.type, parentSchema: schema35.properties.critical, data: data13 };
        if (vErrors === null) {
          vErrors = [err23];
        } else {
          vErrors.push(err23);
        }
        errors++;
      }
    }
    if (data.on_failure !== void 0) {
      let data14 = data.on_failure;
      if (!(data14 === "abort" || data14 === "skip_dependents" || data14 === "continue")) {
        const err24 = { instancePath: instancePath + "/on_failure", schemaPath: "#/properties/on_failure/enum", keyword: "enum", params: { allowedValues: schema35.properties.on_failure.enum }, message: "must be equal to one of the allowed values", schema: schema35.properties.on_failure.enum, parentSchema: schema35.properties.on_failure, data: data14 };
        if (vErrors === null) {
          vErrors = [err24];
        } else {
          vErrors.push(err24);
        }
        errors++;
      }
    }
    if (data.trigger_rule !== void 0) {
      let data15 = data.trigger_rule;
      if (!(data15 === "all_success" || data15 === "all_done" || data15 === "one_failed" || data15 === "none_failed")) {
        const err25 = { instancePath: instancePath + "/trigger_rule", schemaPath: "#/properties/trigger_rule/enum", keyword: "enum", params: { allowedValues: schema35.properties.trigger_rule.enum }, message: "must be equal to one of the allowed values", schema: schema35.properties.trigger_rule.enum, parentSchema: schema35.properties.trigger_rule, data: data15 };
        if (vErrors === null) {
          vErrors = [err25];
        } else {
          vErrors.push(err25);
        }
        errors++;
      }
    }
    if (data.cwd !== void 0) {
      let data16 = data.cwd;
      if (typeof data16 !== "string") {
        const err26 = { instancePath: instancePath + "/cwd", schemaPath: "#/properties/cwd/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema35.properties.cwd.type, parentSchema: schema35.properties.cwd, data: data16 };
        if (vErrors === null) {
          vErrors = [err26];
        } else {
          vErrors.push(err26);
        }
        errors++;
      }
    }
    if (data.env !== void 0) {
      let data17 = data.env;
      if (data17 && typeof data17 == "object" && !Array.isArray(data17)) {
        for (const key1 in data17) {
          let data18 = data17[key1];
          if (typeof data18 !== "string") {
            const err27 = { instancePath: instancePath + "/env/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/$defs/StringMap/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema34.additionalProperties.type, parentSchema: schema34.additionalProperties, data: data18 };
            if (vErrors === null) {
              vErrors = [err27];
            } else {
              vErrors.push(err27);
            }
            errors++;
          }
        }
      } else {
        const err28 = { instancePath: instancePath + "/env", schemaPath: "#/$defs/StringMap/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema34.type, parentSchema: schema34, data: data17 };
        if (vErrors === null) {
          vErrors = [err28];
        } else {
          vErrors.push(err28);
        }
        errors++;
      }
    }
    if (data.shell !== void 0) {
      let data19 = data.shell;
      if (typeof data19 !== "boolean") {
        const err29 = { instancePath: instancePath + "/shell", schemaPath: "#/properties/shell/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean", schema: schema35.properties.shell.type, parentSchema: schema35.properties.shell, data: data19 };
        if (vErrors === null) {
          vErrors = [err29];
        } else {
          vErrors.push(err29);
        }
        errors++;
      }
    }
    if (data.success_exit_codes !== void 0) {
      let data20 = data.success_exit_codes;
      if (Array.isArray(data20)) {
        if (data20.length < 1) {
          const err30 = { instancePath: instancePath + "/success_exit_codes", schemaPath: "#/properties/success_exit_codes/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items", schema: 1, parentSchema: schema35.properties.success_exit_codes, data: data20 };
          if (vErrors === null) {
            vErrors = [err30];
          } else {
            vErrors.push(err30);
          }
          errors++;
        }
        const len2 = data20.length;
        for (let i2 = 0; i2 < len2; i2++) {
          let data21 = data20[i2];
          if (!(typeof data21 == "number" && (!(data21 % 1) && !isNaN(data21)) && isFinite(data21))) {
            const err31 = { instancePath: instancePath + "/success_exit_codes/" + i2, schemaPath: "#/properties/success_exit_codes/items/type", keyword: "type", params: { type: "integer" }, message: "must be integer", schema: schema35.properties.success_exit_codes.items.type, parentSchema: schema35.properties.success_exit_codes.items, data: data21 };
            if (vErrors === null) {
              vErrors = [err31];
            } else {
              vErrors.push(err31);
            }
            errors++;
          }
        }
      } else {
        const err32 = { instancePath: instancePath + "/success_exit_codes", schemaPath: "#/properties/success_exit_codes/type", keyword: "type", params: { type: "array" }, message: "must be array", schema: schema35.properties.success_exit_codes.type, parentSchema: schema35.properties.success_exit_codes, data: data20 };
        if (vErrors === null) {
          vErrors = [err32];
        } else {
          vErrors.push(err32);
        }
        errors++;
      }
    }
    if (data.preconditions !== void 0) {
      let data22 = data.preconditions;
      if (Array.isArray(data22)) {
        const len3 = data22.length;
        for (let i3 = 0; i3 < len3; i3++) {
          let data23 = data22[i3];
          if (data23 && typeof data23 == "object" && !Array.isArray(data23)) {
            for (const key2 in data23) {
              if (!(key2 === "description" || key2 === "command" || key2 === "args" || key2 === "value" || key2 === "not_empty" || key2 === "equals" || key2 === "matches")) {
                const err33 = { instancePath: instancePath + "/preconditions/" + i3, schemaPath: "#/$defs/Precondition/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key2 }, message: "must NOT have additional properties", schema: false, parentSchema: schema37, data: data23 };
                if (vErrors === null) {
                  vErrors = [err33];
                } else {
                  vErrors.push(err33);
                }
                errors++;
              }
            }
            if (data23.description !== void 0) {
              let data24 = data23.description;
              if (typeof data24 !== "string") {
                const err34 = { instancePath: instancePath + "/preconditions/" + i3 + "/description", schemaPath: "#/$defs/Precondition/properties/description/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema37.properties.description.type, parentSchema: schema37.properties.description, data: data24 };
                if (vErrors === null) {
                  vErrors = [err34];
                } else {
                  vErrors.push(err34);
                }
                errors++;
              }
            }
            if (data23.command !== void 0) {
              let data25 = data23.command;
              if (typeof data25 === "string") {
                if (func1(data25) < 1) {
                  const err35 = { instancePath: instancePath + "/preconditions/" + i3 + "/command", schemaPath: "#/$defs/Precondition/properties/command/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters", schema: 1, parentSchema: schema37.properties.command, data: data25 };
                  if (vErrors === null) {
                    vErrors = [err35];
                  } else {
                    vErrors.push(err35);
                  }
                  errors++;
                }
              } else {
                const err36 = { instancePath: instancePath + "/preconditions/" + i3 + "/command", schemaPath: "#/$defs/Precondition/properties/command/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema37.properties.command.type, parentSchema: schema37.properties.command, data: data25 };
                if (vErrors === null) {
                  vErrors = [err36];
                } else {
                  vErrors.push(err36);
                }
                errors++;
              }
            }
            if (data23.args !== void 0) {
              let data26 = data23.args;
              if (Array.isArray(data26)) {
                const len4 = data26.length;
                for (let i4 = 0; i4 < len4; i4++) {
                  let data27 = data26[i4];
                  if (typeof data27 !== "string") {
                    const err37 = { instancePath: instancePath + "/preconditions/" + i3 + "/args/" + i4, schemaPath: "#/$defs/Precondition/properties/args/items/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema37.properties.args.items.type, parentSchema: schema37.properties.args.items, data: data27 };
                    if (vErrors === null) {
                      vErrors = [err37];
                    } else {
                      vErrors.push(err37);
                    }
                    errors++;
                  }
                }
              } else {
                const err38 = { instancePath: instancePath + "/preconditions/" + i3 + "/args", schemaPath: "#/$defs/Precondition/properties/args/type", keyword: "type", params: { type: "array" }, message: "must be array", schema: schema37.properties.args.type, parentSchema: schema37.properties.args, data: data26 };
                if (vErrors === null) {
                  vErrors = [err38];
                } else {
                  vErrors.push(err38);
                }
                errors++;
              }
            }
            if (data23.value !== void 0) {
              let data28 = data23.value;
              if (typeof data28 !== "string") {
                const err39 = { instancePath: instancePath + "/preconditions/" + i3 + "/value", schemaPath: "#/$defs/Precondition/properties/value/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema37.properties.value.type, parentSchema: schema37.properties.value, data: data28 };
                if (vErrors === null) {
                  vErrors = [err39];
                } else {
                  vErrors.push(err39);
                }
                errors++;
              }
            }
            if (data23.not_empty !== void 0) {
              let data29 = data23.not_empty;
              if (true !== data29) {
                const err40 = { instancePath: instancePath + "/preconditions/" + i3 + "/not_empty", schemaPath: "#/$defs/Precondition/properties/not_empty/const", keyword: "const", params: { allowedValue: true }, message: "must be equal to constant", schema: true, parentSchema: schema37.properties.not_empty, data: data29 };
                if (vErrors === null) {
                  vErrors = [err40];
                } else {
                  vErrors.push(err40);
                }
                errors++;
              }
            }
            if (data23.equals !== void 0) {
              let data30 = data23.equals;
              if (typeof data30 !== "string") {
                const err41 = { instancePath: instancePath + "/preconditions/" + i3 + "/equals", schemaPath: "#/$defs/Precondition/properties/equals/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema37.properties.equals.type, parentSchema: schema37.properties.equals, data: data30 };
                if (vErrors === null) {
                  vErrors = [err41];
                } else {
                  vErrors.push(err41);
                }
                errors++;
              }
            }
            if (data23.matches !== void 0) {
              let data31 = data23.matches;
              if (typeof data31 !== "string") {
                const err42 = { instancePath: instancePath + "/preconditions/" + i3 + "/matches", schemaPath: "#/$defs/Precondition/properties/matches/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema37.properties.matches.type, parentSchema: schema37.properties.matches, data: data31 };
                if (vErrors === null) {
                  vErrors = [err42];
                } else {
                  vErrors.push(err42);
                }
                errors++;
              }
            }
          } else {
            const err43 = { instancePath: instancePath + "/preconditions/" + i3, schemaPath: "#/$defs/Precondition/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema37.type, parentSchema: schema37, data: data23 };
            if (vErrors === null) {
              vErrors = [err43];
            } else {
              vErrors.push(err43);
            }
            errors++;
          }
        }
      } else {
        const err44 = { instancePath: instancePath + "/preconditions", schemaPath: "#/properties/preconditions/type", keyword: "type", params: { type: "array" }, message: "must be array", schema: schema35.properties.preconditions.type, parentSchema: schema35.properties.preconditions, data: data22 };
        if (vErrors === null) {
          vErrors = [err44];
        } else {
          vErrors.push(err44);
        }
        errors++;
      }
    }
  } else {
    const err45 = { instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema35.type, parentSchema: schema35, data };
    if (vErrors === null) {
      vErrors = [err45];
    } else {
      vErrors.push(err45);
    }
    errors++;
  }
  validate23.errors = vErrors;
  return errors === 0;
}
validate23.evaluated = { "props": true, "dynamicProps": false, "dynamicItems": false };
function validate20(data, { instancePath = "", parentData, parentDataProperty, rootData = data, dynamicAnchors = {} } = {}) {
  ;
  let vErrors = null;
  let errors = 0;
  const evaluated0 = validate20.evaluated;
  if (evaluated0.dynamicProps) {
    evaluated0.props = void 0;
  }
  if (evaluated0.dynamicItems) {
    evaluated0.items = void 0;
  }
  if (data && typeof data == "object" && !Array.isArray(data)) {
    if (data.plan_id === void 0) {
      const err0 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "plan_id" }, message: "must have required property 'plan_id'", schema: schema31.required, parentSchema: schema31, data };
      if (vErrors === null) {
        vErrors = [err0];
      } else {
        vErrors.push(err0);
      }
      errors++;
    }
    if (data.version === void 0) {
      const err1 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "version" }, message: "must have required property 'version'", schema: schema31.required, parentSchema: schema31, data };
      if (vErrors === null) {
        vErrors = [err1];
      } else {
        vErrors.push(err1);
      }
      errors++;
    }
    if (data.steps === void 0) {
      const err2 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "steps" }, message: "must have required property 'steps'", schema: schema31.required, parentSchema: schema31, data };
      if (vErrors === null) {
        vErrors = [err2];
      } else {
        vErrors.push(err2);
      }
      errors++;
    }
    for (const key0 in data) {
      if (!(key0 === "$schema" || key0 === "plan_id" || key0 === "version" || key0 === "description" || key0 === "metadata" || key0 === "vars" || key0 === "globals" || key0 === "steps")) {
        const err3 = { instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties", schema: false, parentSchema: schema31, data };
        if (vErrors === null) {
          vErrors = [err3];
        } else {
          vErrors.push(err3);
        }
        errors++;
      }
    }
    if (data.$schema !== void 0) {
      let data0 = data.$schema;
      if (typeof data0 !== "string") {
        const err4 = { instancePath: instancePath + "/$schema", schemaPath: "#/properties/%24schema/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema31.properties.$schema.type, parentSchema: schema31.properties.$schema, data: data0 };
        if (vErrors === null) {
          vErrors = [err4];
        } else {
          vErrors.push(err4);
        }
        errors++;
      }
    }
    if (data.plan_id !== void 0) {
      let data1 = data.plan_id;
      if (typeof data1 === "string") {
        if (func1(data1) < 1) {
          const err5 = { instancePath: instancePath + "/plan_id", schemaPath: "#/properties/plan_id/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters", schema: 1, parentSchema: schema31.properties.plan_id, data: data1 };
          if (vErrors === null) {
            vErrors = [err5];
          } else {
            vErrors.push(err5);
          }
          errors++;
        }
      } else {
        const err6 = { instancePath: instancePath + "/plan_id", schemaPath: "#/properties/plan_id/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema31.properties.plan_id.type, parentSchema: schema31.properties.plan_id, data: data1 };
        if (vErrors === null) {
          vErrors = [err6];
        } else {
          vErrors.push(err6);
        }
        errors++;
      }
    }
    if (data.version !== void 0) {
      let data2 = data.version;
      if (typeof data2 === "string") {
        if (func1(data2) < 1) {
          const err7 = { instancePath: instancePath + "/version", schemaPath: "#/properties/version/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters", schema: 1, parentSchema: schema31.properties.version, data: data2 };
          if (vErrors === null) {
            vErrors = [err7];
          } else {
            vErrors.push(err7);
          }
          errors++;
        }
      } else {
        const err8 = { instancePath: instancePath + "/version", schemaPath: "#/properties/version/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema31.properties.version.type, parentSchema: schema31.properties.version, data: data2 };
        if (vErrors === null) {
          vErrors = [err8];
        } else {
          vErrors.push(err8);
        }
        errors++;
      }
    }
    if (data.description !== void 0) {
      let data3 = data.description;
      if (typeof data3 !== "string") {
        const err9 = { instancePath: instancePath + "/description", schemaPath: "#/properties/description/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema31.properties.description.type, parentSchema: schema31.properties.description, data: data3 };
        if (vErrors === null) {
          vErrors = [err9];
        } else {
          vErrors.push(err9);
        }
        errors++;
      }
    }
    if (data.metadata !== void 0) {
      let data4 = data.metadata;
      if (!(data4 && typeof data4 == "object" && !Array.isArray(data4))) {
        const err10 = { instancePath: instancePath + "/metadata", schemaPath: "#/properties/metadata/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema31.properties.metadata.type, parentSchema: schema31.properties.metadata, data: data4 };
        if (vErrors === null) {
          vErrors = [err10];
        } else {
          vErrors.push(err10);
        }
        errors++;
      }
    }
    if (data.vars !== void 0) {
      let data5 = data.vars;
      if (data5 && typeof data5 == "object" && !Array.isArray(data5)) {
        for (const key1 in data5) {
          const _errs14 = errors;
          if (typeof key1 === "string") {
            if (!pattern4.test(key1)) {
              const err11 = { instancePath: instancePath + "/vars", schemaPath: "#/properties/vars/propertyNames/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }, message: 'must match pattern "^[A-Za-z_][A-Za-z0-9_]*$"', schema: "^[A-Za-z_][A-Za-z0-9_]*$", parentSchema: schema31.properties.vars.propertyNames, data: key1, propertyName: key1 };
              if (vErrors === null) {
                vErrors = [err11];
              } else {
                vErrors.push(err11);
              }
              errors++;
            }
          }
          var valid1 = _errs14 === errors;
          if (!valid1) {
            const err12 = { instancePath: instancePath + "/vars", schemaPath: "#/properties/vars/propertyNames", keyword: "propertyNames", params: { propertyName: key1 }, message: "property name must be valid", schema: schema31.properties.vars.propertyNames, parentSchema: schema31.properties.vars, data: data5 };
            if (vErrors === null) {
              vErrors = [err12];
            } else {
              vErrors.push(err12);
            }
            errors++;
          }
        }
        for (const key2 in data5) {
          let data6 = data5[key2];
          if (data6 && typeof data6 == "object" && !Array.isArray(data6)) {
            for (const key3 in data6) {
              if (!(key3 === "description" || key3 === "default" || key3 === "required" || key3 === "pattern" || key3 === "secret")) {
                const err13 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/$defs/VarDecl/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key3 }, message: "must NOT have additional properties", schema: false, parentSchema: schema32, data: data6 };
                if (vErrors === null) {
                  vErrors = [err13];
                } else {
                  vErrors.push(err13);
                }
                errors++;
              }
            }
            if (data6.description !== void 0) {
              let data7 = data6.description;
              if (typeof data7 !== "string") {
                const err14 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1") + "/description", schemaPath: "#/$defs/VarDecl/properties/description/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema32.properties.description.type, parentSchema: schema32.properties.description, data: data7 };
                if (vErrors === null) {
                  vErrors = [err14];
                } else {
                  vErrors.push(err14);
                }
                errors++;
              }
            }
            if (data6.default !== void 0) {
              let data8 = data6.default;
              if (typeof data8 !== "string") {
                const err15 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1") + "/default", schemaPath: "#/$defs/VarDecl/properties/default/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema32.properties.default.type, parentSchema: schema32.properties.default, data: data8 };
                if (vErrors === null) {
                  vErrors = [err15];
                } else {
                  vErrors.push(err15);
                }
                errors++;
              }
            }
            if (data6.required !== void 0) {
              let data9 = data6.required;
              if (typeof data9 !== "boolean") {
                const err16 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1") + "/required", schemaPath: "#/$defs/VarDecl/properties/required/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean", schema: schema32.properties.required.type, parentSchema: schema32.properties.required, data: data9 };
                if (vErrors === null) {
                  vErrors = [err16];
                } else {
                  vErrors.push(err16);
                }
                errors++;
              }
            }
            if (data6.pattern !== void 0) {
              let data10 = data6.pattern;
              if (!(typeof data10 === "string")) {
                const err17 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1") + "/pattern", schemaPath: "#/$defs/VarDecl/properties/pattern/type", keyword: "type", params: { type: "string" }, message: "must be string", schema: schema32.properties.pattern.type, parentSchema: schema32.properties.pattern, data: data10 };
                if (vErrors === null) {
                  vErrors = [err17];
                } else {
                  vErrors.push(err17);
                }
                errors++;
              }
            }
            if (data6.secret !== void 0) {
              let data11 = data6.secret;
              if (typeof data11 !== "boolean") {
                const err18 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1") + "/secret", schemaPath: "#/$defs/VarDecl/properties/secret/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean", schema: schema32.properties.secret.type, parentSchema: schema32.properties.secret, data: data11 };
                if (vErrors === null) {
                  vErrors = [err18];
                } else {
                  vErrors.push(err18);
                }
                errors++;
              }
            }
          } else {
            const err19 = { instancePath: instancePath + "/vars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/$defs/VarDecl/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema32.type, parentSchema: schema32, data: data6 };
            if (vErrors === null) {
              vErrors = [err19];
            } else {
              vErrors.push(err19);
            }
            errors++;
          }
        }
      } else {
        const err20 = { instancePath: instancePath + "/vars", schemaPath: "#/properties/vars/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema31.properties.vars.type, parentSchema: schema31.properties.vars, data: data5 };
        if (vErrors === null) {
          vErrors = [err20];
        } else {
          vErrors.push(err20);
        }
        errors++;
      }
    }
    if (data.globals !== void 0) {
      if (!validate21(data.globals, { instancePath: instancePath + "/globals", parentData: data, parentDataProperty: "globals", rootData, dynamicAnchors })) {
        vErrors = vErrors === null ? validate21.errors : vErrors.concat(validate21.errors);
        errors = vErrors.length;
      }
    }
    if (data.steps !== void 0) {
      let data13 = data.steps;
      if (Array.isArray(data13)) {
        if (data13.length < 1) {
          const err21 = { instancePath: instancePath + "/steps", schemaPath: "#/properties/steps/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items", schema: 1, parentSchema: schema31.properties.steps, data: data13 };
          if (vErrors === null) {
            vErrors = [err21];
          } else {
            vErrors.push(err21);
          }
          errors++;
        }
        const len0 = data13.length;
        for (let i0 = 0; i0 < len0; i0++) {
          if (!validate23(data13[i0], { instancePath: instancePath + "/steps/" + i0, parentData: data13, parentDataProperty: i0, rootData, dynamicAnchors })) {
            vErrors = vErrors === null ? validate23.errors : vErrors.concat(validate23.errors);
            errors = vErrors.length;
          }
        }
      } else {
        const err22 = { instancePath: instancePath + "/steps", schemaPath: "#/properties/steps/type", keyword: "type", params: { type: "array" }, message: "must be array", schema: schema31.properties.steps.type, parentSchema: schema31.properties.steps, data: data13 };
        if (vErrors === null) {
          vErrors = [err22];
        } else {
          vErrors.push(err22);
        }
        errors++;
      }
    }
  } else {
    const err23 = { instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object", schema: schema31.type, parentSchema: schema31, data };
    if (vErrors === null) {
      vErrors = [err23];
    } else {
      vErrors.push(err23);
    }
    errors++;
  }
  validate20.errors = vErrors;
  return errors === 0;
}
validate20.evaluated = { "props": true, "dynamicProps": false, "dynamicItems": false };

// ../../work/main/src/schema/validate-schema.ts
var PLAN_SCHEMA_URL = new URL("../../schemas/plan.schema.json", import.meta.url);
function planValidator() {
  return plan_validator_generated_default;
}
function validatePlanSchema(data) {
  const validate = planValidator();
  const out = regexFormatProblems(data);
  if (validate(data)) return out;
  const seen = /* @__PURE__ */ new Set();
  for (const e of validate.errors ?? []) {
    const p = describeError(e);
    if (!p) continue;
    const key = `${p.pointer}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}
function describeError(e) {
  const at = e.instancePath;
  const params = e.params;
  if (e.keyword === "propertyNames") return void 0;
  if (e.propertyName !== void 0) {
    const ptr = `${at}/${escapePointerToken(e.propertyName)}`;
    const what = at === "/vars" ? "variable name" : "property name";
    const rule = e.keyword === "pattern" ? ` (must match ${String(params.pattern)})` : "";
    return { pointer: ptr, message: `invalid ${what} ${JSON.stringify(e.propertyName)}${rule}`, at: "key" };
  }
  switch (e.keyword) {
    case "additionalProperties": {
      const prop = String(params.additionalProperty);
      const allowed = Object.keys(e.parentSchema?.properties ?? {});
      const list = allowed.length ? ` (allowed: ${allowed.join(", ")})` : "";
      return { pointer: `${at}/${escapePointerToken(prop)}`, message: `unknown property ${JSON.stringify(prop)}${list}`, at: "key" };
    }
    case "required":
      return { pointer: at, message: `missing required property ${JSON.stringify(String(params.missingProperty))}`, at: "value" };
    case "type":
      return { pointer: at, message: `expected ${withArticle(String(params.type))}, got ${preview(e.data)}`, at: "value" };
    case "enum": {
      const allowed = params.allowedValues.map((v) => JSON.stringify(v)).join(", ");
      return { pointer: at, message: `must be one of ${allowed}, got ${preview(e.data)}`, at: "value" };
    }
    case "const":
      return { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}, got ${preview(e.data)}`, at: "value" };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { pointer: at, message: `must be ${String(params.comparison)} ${String(params.limit)}, got ${preview(e.data)}`, at: "value" };
    case "minLength":
      return {
        pointer: at,
        message: params.limit === 1 ? "must not be empty" : `must be at least ${String(params.limit)} characters long`,
        at: "value"
      };
    case "minItems":
      return {
        pointer: at,
        message: params.limit === 1 ? "must not be empty" : `must have at least ${String(params.limit)} items`,
        at: "value"
      };
    case "pattern": {
      const what = /^\/steps\/\d+\/id$/.test(at) ? "step id" : "value";
      return { pointer: at, message: `invalid ${what} ${preview(e.data)} (must match ${String(params.pattern)})`, at: "value" };
    }
    case "format":
      return { pointer: at, message: `must be a valid ${String(params.format)}, got ${preview(e.data)}`, at: "value" };
    default:
      return { pointer: at, message: e.message ?? `fails schema keyword ${e.keyword}`, at: "value" };
  }
}
function regexFormatProblems(data) {
  const vars = data?.vars;
  if (typeof vars !== "object" || vars === null) return [];
  const out = [];
  for (const [name, decl] of Object.entries(vars)) {
    const pattern = decl?.pattern;
    if (typeof pattern !== "string") continue;
    const err = compileVarPattern(pattern);
    if (!(err instanceof SyntaxError)) continue;
    const why = err.message.replace(/^Invalid regular expression: /, "");
    out.push({ pointer: `/vars/${escapePointerToken(name)}/pattern`, message: `invalid regular expression: ${why}`, at: "value" });
  }
  return out;
}
function withArticle(type) {
  return type.split(",").map((t) => /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`).join(" or ");
}
function preview(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  if (s === void 0) return typeof v;
  if (s.length <= 60) return s;
  return typeof v === "string" ? `${s.slice(0, 56)}..."` : `${s.slice(0, 57)}...`;
}

// ../../work/main/src/schema/vars-file.ts
import { readFileSync } from "node:fs";
import path2 from "node:path";
function readVarsFile(label, cwd, problems) {
  const abs = path2.resolve(cwd, label);
  let text;
  try {
    text = stripBom(readFileSync(abs, "utf8"));
  } catch (err) {
    problems.add({ file: label, pointer: "", at: "none", message: readErrorMessage("vars file", abs, err) });
    return void 0;
  }
  problems.addSource(label, new JsonSource(text));
  const parsed = parseJson(text);
  if (!parsed.ok) {
    problems.add({ file: label, pointer: "", at: { offset: parsed.offset }, message: parsed.message });
    return void 0;
  }
  const data = parsed.value;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    problems.add({
      file: label,
      pointer: "",
      message: `a vars file must be a JSON object mapping variable names to string values, got ${preview(data)}`
    });
    return void 0;
  }
  const out = /* @__PURE__ */ new Map();
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === "string") out.set(key, value);
    else {
      problems.add({
        file: label,
        pointer: `/${escapePointerToken(key)}`,
        message: `value of ${JSON.stringify(key)} must be a string, got ${preview(value)}`
      });
    }
  }
  return out;
}
function readErrorMessage(what, abs, err) {
  const code = err?.code;
  if (code === "ENOENT") return `${what} not found: ${abs}`;
  if (code === "EISDIR") return `${what} is a directory: ${abs}`;
  if (code === "EACCES" || code === "EPERM") return `${what} is not readable (permission denied): ${abs}`;
  const msg = err instanceof Error ? err.message : String(err);
  return `cannot read ${what} ${abs}: ${msg}`;
}

// ../../work/main/src/schema/load-plan.ts
function loadPlan(opts) {
  const problems = new ProblemList();
  const planLabel = opts.path;
  const cli = parseVarArgs(opts.varArgs, problems);
  if (opts.maxConcurrency !== void 0 && !(Number.isInteger(opts.maxConcurrency) && opts.maxConcurrency >= 1)) {
    problems.add({
      file: COMMAND_LINE,
      pointer: "",
      at: "none",
      message: `--max-concurrency must be an integer >= 1, got ${String(opts.maxConcurrency)}`
    });
  }
  const absPath = path3.resolve(opts.cwd, opts.path);
  let bytes;
  try {
    bytes = readFileSync2(absPath);
  } catch (err) {
    problems.add({ file: planLabel, pointer: "", at: "none", message: readErrorMessage("plan file", absPath, err) });
    if (opts.varsFile !== void 0) readVarsFile(opts.varsFile, opts.cwd, problems);
    throw new PlanError(problems.toProblems());
  }
  const text = stripBom(bytes.toString("utf8"));
  problems.addSource(planLabel, new JsonSource(text));
  const parsed = parseJson(text);
  const fileValues = opts.varsFile === void 0 ? void 0 : readVarsFile(opts.varsFile, opts.cwd, problems);
  if (!parsed.ok) {
    problems.add({ file: planLabel, pointer: "", at: { offset: parsed.offset }, message: parsed.message });
    throw new PlanError(problems.toProblems());
  }
  const data = parsed.value;
  for (const p of validatePlanSchema(data)) problems.add({ file: planLabel, ...p });
  const graph = checkSteps(isObject2(data) ? data.steps : void 0, planLabel, problems);
  const { values, secretNames } = resolveVars(
    {
      planFile: planLabel,
      declared: isObject2(data) ? data.vars : void 0,
      cli,
      ...fileValues && opts.varsFile !== void 0 ? { varsFile: { label: opts.varsFile, values: fileValues } } : {},
      varsFileUnreadable: opts.varsFile !== void 0 && fileValues === void 0,
      builtins: { RUN_ID: opts.runId, PLAN_DIR: path3.dirname(absPath), STATE_DIR: opts.stateDir }
    },
    problems
  );
  checkReferences(data, new Set(values.keys()), planLabel, problems);
  if (problems.length > 0 || !graph) throw new PlanError(problems.toProblems());
  return resolvePlan(data, {
    path: absPath,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    cwd: opts.cwd,
    maxConcurrency: opts.maxConcurrency,
    vars: values,
    secretNames,
    graph
  });
}

// ../../work/main/src/commands/common.ts
import { resolve } from "node:path";
function resolveStateDir(flag) {
  return resolve(flag ?? process.env.ENGINE_STATE_DIR ?? "state");
}
function loadPlanToInspect(planPath, opts) {
  return loadPlan({
    path: planPath,
    varArgs: opts.var,
    varsFile: opts.varsFile,
    runId: newRunId(),
    stateDir: resolveStateDir(void 0),
    cwd: process.cwd()
  });
}

export {
  newRunId,
  levels,
  ancestorClosure,
  COMMAND_LINE,
  loadPlan,
  resolveStateDir,
  loadPlanToInspect
};
