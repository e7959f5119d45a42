// All check families, run over one clan model. Each family is a pure function model → findings.
import type { Finding } from '../findings';
import type { ClanModel } from '../model/clanModel';
import { checkCoverage } from './coverageChecks';
import { checkDestinations } from './destinationChecks';
import { checkHooks } from './hookChecks';
import { checkInventory } from './inventoryChecks';
import { checkMeta, checkSyntax } from './metaChecks';
import { checkPostgresql } from './postgresqlChecks';
import { checkSchedules } from './scheduleChecks';
import { checkSettings } from './settingsChecks';
import { checkStates } from './stateChecks';

export type Check = (model: ClanModel) => Finding[];

export const CHECKS: ReadonlyArray<Check> = [
  checkSyntax, checkMeta, checkInventory, checkSettings, (m) => checkSchedules(m), checkDestinations, checkStates,
  checkPostgresql, checkHooks, checkCoverage,
];
