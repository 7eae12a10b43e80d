// One home for words: every word of the UI is in words.js, in both languages, used somewhere,
// said once, and not also in the Rust core's messages (which come with each view).
// Run with `node --test ui/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { WORDS, fill } from './words.js';

const here = new URL('.', import.meta.url);
const read = (name) => readFileSync(new URL(name, here), 'utf8');
const code = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !f.startsWith('words'))
  .map(read)
  .join('\n');

test('both languages have the same words', () => {
  assert.deepEqual(Object.keys(WORDS.en).sort(), Object.keys(WORDS.zh).sort());
});

test('every word is used and every word used exists', () => {
  for (const key of Object.keys(WORDS.zh)) {
    const used = code.includes(`w.${key}`) || code.includes(`'${key}'`) || code.includes(`words().${key}`);
    assert.ok(used, `${key} is never used`);
  }
  for (const [, key] of code.matchAll(/\bw\.(\w+)/g)) {
    assert.ok(key in WORDS.zh, `w.${key} is used but not in words.js`);
  }
});

test('each word is said once', () => {
  // The same meaning under two keys: the same words in both languages.
  const seen = new Map();
  for (const key of Object.keys(WORDS.zh)) {
    const pair = JSON.stringify([WORDS.zh[key], WORDS.en[key]]);
    assert.ok(!seen.has(pair), `${key} repeats ${seen.get(pair)}: ${pair}`);
    seen.set(pair, key);
  }
});

test('the core says its own words, the UI not again', () => {
  // The core's labels and titles (error texts may echo a placeholder: 请输入证件号码).
  const rust = read('../crates/app-core/src/messages.rs');
  const literals = new Set([...rust.matchAll(/"([^"\\]*[\u4e00-\u9fff][^"\\]*)"/g)].map((m) => m[1]));
  for (const [key, value] of Object.entries(WORDS.zh)) {
    for (const text of [value].flat()) {
      assert.ok(!literals.has(text), `${key} (${text}) is also one of the core's messages`);
    }
  }
});

test('the bank is named by its identity setting, never in the words', () => {
  for (const lang of ['zh', 'en']) {
    const all = JSON.stringify(WORDS[lang]);
    for (const fact of ['95379', '昆仑', 'Kunlun', '本行']) {
      assert.ok(!all.includes(fact), `${lang} names ${fact}: use {bank}, {hotline} or {wechat}`);
    }
  }
  assert.equal(fill(WORDS.zh.helpCall, { hotline: '95379' }), '拨打 95379 客服热线');
  assert.equal(fill('{a}{b}', { a: 1 }), '1{b}', 'unknown placeholders stay visible');
});
