import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  DEFAULT_RUNS_LIMIT,
  runDurationMs,
  runSummary,
  runsCommand,
  runsTable
} from "./chunk-RNVCY2I6.mjs";
import "./chunk-TRUM2TFJ.mjs";
import "./chunk-MYH7MVTT.mjs";
import "./chunk-QY6XNTNJ.mjs";
import "./chunk-UAN2LSTN.mjs";
import "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";
export {
  DEFAULT_RUNS_LIMIT,
  runDurationMs,
  runSummary,
  runsCommand,
  runsTable
};
