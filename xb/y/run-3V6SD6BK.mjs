import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  executeRun,
  runCommand
} from "./chunk-7ZL77DJP.mjs";
import "./chunk-TTIGGALI.mjs";
import "./chunk-TRUM2TFJ.mjs";
import "./chunk-QY6XNTNJ.mjs";
import "./chunk-UAN2LSTN.mjs";
import "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";
export {
  executeRun,
  runCommand
};
