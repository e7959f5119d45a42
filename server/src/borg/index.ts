// Pure BorgBackup 1.x knowledge: repository locations, BORG_RSH and exclude patterns.
export {
  analyzeAddress,
  analyzeRepo,
  BORG_PLACEHOLDERS,
  isIPv6,
  parseBorgLocation,
  placeholderProblems,
} from './location';
export type {
  AddressFinding,
  LocationError,
  LocationKind,
  LocationResult,
  ParsedLocation,
  PlaceholderProblem,
  RepoFinding,
} from './location';
export { analyzeRsh, splitRsh } from './rsh';
export type { RshFinding, RshToken, SplitResult } from './rsh';
export { analyzeExclude } from './excludeAnalysis';
export { describeExclude } from './excludeDescription';
export { matchesPath, normpath, parseExcludePattern, tryMatchPath } from './excludePatterns';
export type { ExcludeFinding, ExcludeLine, MatchResult, ParsedExclude, PatternStyle } from './excludePatterns';
export { translatePythonRegex } from './pythonRegex';
export type { RegexInfo } from './pythonRegex';
