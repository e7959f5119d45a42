// All check families, run over one clan model. Each family is a pure function model → findings.
import type { Finding } from '../findings';
import type { ClanModel } from '../model/clanModel';
import { checkInventory } from './inventoryChecks';
import { checkMeta, checkSyntax } from './metaChecks';
import { checkPostgresql } from './postgresqlChecks';
import { checkSettings } from './settingsChecks';
import { checkStates } from './stateChecks';

export type Check = (model: ClanModel) => Finding[];

export const CHECKS: ReadonlyArray<Check> = [
  checkSyntax, checkMeta, checkInventory, checkSettings, checkStates, checkPostgresql,
];
