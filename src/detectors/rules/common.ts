/** Parameter shapes shared by the baseline-aware detectors. */
import { z } from 'zod';

export const inflationFactor = z.number().gt(1).describe('with a baseline: fire above this multiple of the P75 of the agent+version (ratio)');

export const minBaselineRuns = z.number().int().min(1).describe('completed runs a baseline needs before it replaces the static threshold (count)');
