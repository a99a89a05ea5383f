/**
 * The resume test (test/supplier/resume.ts) on a PostgreSQL schema: `order create` killed mid-wait,
 * `warehouse work` on the same database continues its conversation, with the order's own script,
 * from the mock's tables in that schema.
 */
import { describeResume } from '../supplier/resume.js';
import { tempPgUrl } from '../helpers.js';

describeResume(() => tempPgUrl());
