/**
 * GET /api/explore/story: the counterexample the page replays step by step (`warehouse explore
 * FILE --replay TOKEN --dashboard`; docs/teaching.md, "Break it to learn it"). A server started
 * any other way has none, and says so with `story: null` (an answer, not an error: the page asks
 * at every start).
 */
import { type Zod, z } from '../../kit/zod.js';
import { ANY_REQUEST, ok, PUBLIC } from '../schemas.js';
import type { ZodApp } from '../types.js';

export const storyStepSchema = z.object({
  n: z.number().int().meta({ description: '1-based, in the order the steps happened' }),
  lane: z.string().meta({ description: "the order's id in the scenario, or `stock` for stock counts and restocks" }),
  text: z.string().meta({ description: 'what the step did, then what happened' }),
  process: z.number().int().meta({ description: 'which process took it: 1, then 2 after the crash' }),
  saw: z.number().int().nullable().meta({ description: 'the on-hand this lane read at this step (before the naive pause), or null' }),
  wrote: z.number().int().nullable().meta({ description: 'the on-hand this step left, or null when it wrote none' }),
});

export const storySchema = z
  .object({
    scenario: z.string(),
    file: z.string(),
    variant: z.string().meta({ description: 'the strategy, and the broken variants (teaching only)' }),
    replay: z.string().meta({ description: 'the replay token' }),
    invariant: z.string().meta({ description: 'the rule the schedule broke' }),
    message: z.string().meta({ description: "the rule's own message" }),
    why: z.string().meta({ description: 'one sentence that explains it' }),
    lanes: z.array(z.string()),
    steps: z.array(storyStepSchema),
    breaking: z.number().int().meta({ description: 'the step that broke the rule (highlighted; the check turns red there)' }),
    crashAfter: z.number().int().nullable().meta({ description: 'the step after which the process died, or null' }),
  })
  .meta({ id: 'ExploreStory' });

export type ExploreStory = Zod.infer<typeof storySchema>;

export function storyRoutes(app: ZodApp, { story }: { story?: ExploreStory | null }): void {
  app.get(
    '/api/explore/story',
    {
      schema: {
        operationId: 'getExploreStory',
        summary: 'The counterexample this page replays (warehouse explore --replay TOKEN --dashboard), or null',
        description:
          'The shrunk schedule of `warehouse explore` that broke a rule: its steps in lanes (one per order), the stock each lane saw, the crash, the rule, the sentence that explains it and the replay token. `story` is null on a server started any other way.',
        tags: ['teaching'],
        security: PUBLIC,
        response: { 200: ok('the story, or null', z.object({ story: storySchema.nullable() })), ...ANY_REQUEST },
      },
    },
    async () => ({ story: story ?? null }),
  );
}
