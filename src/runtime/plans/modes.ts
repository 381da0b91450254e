/**
 * The three ways to run a plan without (only) running it: preview, record and replay, shared by
 * `rivet plan run --preview/--record/--replay` and `runPlan(..., { preview, record, replay })`.
 *
 * @example
 * ```ts
 * const value = await runWithModes(runtime, { record: 'run.json' }, (stepHook) => runner.run('site::deploy', params, { stepHook }));
 * ```
 * @module
 */
import { UsageError } from '../../core/errors.ts';
import type { Runtime } from '../runtime.ts';
import { loadPreview, loadRecording } from '../lazy.ts';
import type { PlanRecording } from './recording.ts';
import type { StepHook } from './step-hook.ts';
// preview.ts and recording.ts load only when their mode is asked for (through ../lazy.ts): a plain run does not pay for them.

export interface PlanRunModes {
  /** Run the plan's logic only: every step is described (`message` events) and assumed to succeed; no target is contacted. */
  preview?: boolean | undefined;
  /** Write every step's inputs and results (secrets redacted) to this JSON file. */
  record?: string | undefined;
  /** Answer every step from this recording (a file or its data); no target is contacted. */
  replay?: string | PlanRecording | undefined;
}

/** Reads the recording a replay asks for (a file path or data already read). */
export async function loadReplay(replay: string | PlanRecording): Promise<{ recording: PlanRecording; file: string }> {
  const { checkRecording, readRecording } = await loadRecording();
  return typeof replay === 'string' ? { recording: await readRecording(replay), file: replay } : { recording: checkRecording(replay, '(recording data)'), file: '(recording data)' };
}

/** Throws a UsageError when more than one mode is asked for. */
export function checkModes(modes: PlanRunModes): void {
  const chosen = [modes.preview === true && 'preview', modes.record !== undefined && 'record', modes.replay !== undefined && 'replay'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`Choose one of preview, record and replay, not ${chosen.join(' and ')}`);
}

/**
 * Runs `run` with the step hook the modes ask for: writes the recording when the run ends (failed
 * or not), and fails a replay whose plan made fewer calls than recorded.
 */
export async function runWithModes<T>(runtime: Runtime, modes: PlanRunModes, run: (stepHook: StepHook | undefined) => Promise<T>): Promise<T> {
  checkModes(modes);
  if (modes.preview === true) {
    const { PREVIEW_ASSUMPTION, PlanPreview } = await loadPreview();
    runtime.events.emit({ type: 'message', level: 'message', text: `Preview: nothing runs and no target is contacted; the preview assumes ${PREVIEW_ASSUMPTION}.` });
    const preview = new PlanPreview(runtime);
    const value = await run(preview);
    runtime.events.emit({ type: 'message', level: 'message', text: `Preview: ${preview.steps.length} step(s) previewed; nothing ran.` });
    return value;
  }
  if (modes.record !== undefined) {
    const { PlanRecorder } = await loadRecording();
    const recorder = new PlanRecorder(runtime);
    let status: 'success' | 'failure' = 'failure';
    try {
      const value = await run(recorder);
      status = 'success';
      return value;
    } finally {
      await recorder.write(modes.record, status);
    }
  }
  if (modes.replay !== undefined) {
    const { recording, file } = await loadReplay(modes.replay);
    const { PlanReplayer } = await loadRecording();
    const replayer = new PlanReplayer(runtime, recording, file);
    return replayer.replay(() => run(replayer));
  }
  return run(undefined);
}
