// Pure BorgBackup 1.x knowledge: repository locations, BORG_RSH and exclude patterns. Problems say what is wrong in
// borg's terms (`kind`) so that which rule reports them, and how severely, is decided in one place: checks/.
export {
  analyzeAddress,
  analyzeRepo,
  BORG_PLACEHOLDERS,
  isIPv6,
  parseBorgLocation,
  placeholderProblems,
} from './location';
export type {
  AddressProblem,
  AddressProblemKind,
  LocationError,
  LocationKind,
  LocationResult,
  ParsedLocation,
  PlaceholderProblem,
  RepoProblem,
  RepoProblemKind,
} from './location';
export { analyzeRsh, splitRsh } from './rsh';
export type { RshProblem, RshProblemKind, RshToken, SplitResult } from './rsh';
export { analyzeExclude } from './excludeAnalysis';
export { describeExclude } from './excludeDescription';
export { matchesPath, normpath, parseExcludePattern, tryMatchPath } from './excludePatterns';
export type { ExcludeLine, MatchResult, ParsedExclude, PatternStyle } from './excludePatterns';
export type { ExcludeProblem, ExcludeProblemKind } from './excludeAnalysis';
export { translatePythonRegex } from './pythonRegex';
export type { RegexInfo } from './pythonRegex';
