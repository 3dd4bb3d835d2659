// The MMLU prompt exactly as hendrycks' evaluate.py and lm-evaluation-harness's `mmlu` task build it:
//   "The following are multiple choice questions (with answers) about {subject}.\n\n"
//   + each shot "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: {letter}\n\n"
//   + "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:"
// The continuation scored for each letter is " {letter}" (with its leading space).
import { ANSWER_LETTERS, type MmluQuestion } from './mmlu-dataset.js';

/** 'high_school_biology' → 'high school biology', as both reference implementations print it. */
export function subjectTitle(subject: string): string {
  return subject.split('_').join(' ');
}

export function promptHeader(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${subjectTitle(subject)}.\n\n`;
}

export function formatQuestion(question: MmluQuestion, withAnswer: boolean): string {
  const options = question.choices.map((choice, i) => `\n${ANSWER_LETTERS[i]}. ${choice}`).join('');
  return `${question.question}${options}\nAnswer:${withAnswer ? ` ${question.answer}\n\n` : ''}`;
}

export function buildPrompt(subject: string, shots: readonly MmluQuestion[], question: MmluQuestion): string {
  return promptHeader(subject) + shots.map((shot) => formatQuestion(shot, true)).join('') + formatQuestion(question, false);
}

export const CONTINUATIONS = ANSWER_LETTERS.map((letter) => ` ${letter}`);
