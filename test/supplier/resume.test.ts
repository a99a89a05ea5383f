/** The resume test (resume.ts) on a SQLite file: the mock's state in the engine's file. */
import { tempDb } from '../helpers.js';
import { describeResume } from './resume.js';

describeResume(tempDb);
