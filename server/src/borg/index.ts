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
export {
  analyzeExclude,
  describeExclude,
  matchesPath,
  normpath,
  parseExcludePattern,
  translatePythonRegex,
  tryMatchPath,
} from './exclude';
export type { ExcludeFinding, ExcludeLine, MatchResult, ParsedExclude, PatternStyle, RegexInfo } from './exclude';
