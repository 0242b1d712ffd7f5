// The pure clock estimate, case by case: one wrong phone, many agreeing phones, a skewed
// instance, no data, SQLite without a database clock, and what a failed code should blame.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PHONE_QUORUM_ACCOUNTS, blameForFailedCode, estimateClockError, phoneWitness, type ClockEvidence, type PhoneSample } from './clock-estimate.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const STEP = Math.floor(NOW / 30_000);

/** One account per offset, each signed in a few minutes apart before NOW. */
function phones(...offsetSteps: number[]): PhoneSample[] {
  return offsetSteps.map((offsetSteps, i) => ({ lastUsedStep: STEP - 10 * i, offsetSteps }));
}

function evidence(partial: Partial<ClockEvidence>): ClockEvidence {
  return { nowMs: NOW, databaseOffsetSeconds: null, peers: [], phones: [], ...partial };
}

describe('phone witness', () => {
  it('needs a quorum of distinct recent accounts', () => {
    const four = phoneWitness(phones(-1, -2, -1, -2), NOW);
    assert.deepEqual([four.accounts, four.quorum, four.serverAheadSeconds], [4, false, null]);
    const five = phoneWitness(phones(-1, -2, -1, -2, -1), NOW);
    assert.equal(PHONE_QUORUM_ACCOUNTS, 5);
    assert.deepEqual([five.accounts, five.agreeing, five.quorum, five.serverAheadSeconds], [5, 5, true, 42]);
  });

  it('ignores codes older than a day, and counts only the newest accounts', () => {
    const old = phones(-2, -2, -2, -2, -2).map((s) => ({ ...s, lastUsedStep: s.lastUsedStep - 2881 }));
    assert.equal(phoneWitness(old, NOW).accounts, 0);
    // 15 recent accounts in line, 10 older ones far off: only the newest 15 count.
    const recent = phones(...Array<number>(15).fill(0));
    const older = phones(...Array<number>(10).fill(-2)).map((s) => ({ ...s, lastUsedStep: s.lastUsedStep - 500 }));
    const w = phoneWitness([...older, ...recent], NOW);
    assert.deepEqual([w.accounts, w.serverAheadSeconds], [15, 0]);
  });

  it('wants most phones to agree', () => {
    const split = phoneWitness(phones(2, 2, 2, -2, -2, -2), NOW);
    assert.equal(split.quorum, false, JSON.stringify(split));
    assert.equal(split.serverAheadSeconds, null);
  });
});

describe('clock estimate', () => {
  it('one wrong phone does not move it', () => {
    const e = estimateClockError(evidence({ phones: phones(0, 0, 0, 0, 2, 0) }));
    assert.equal(e.errorSeconds, 0);
    assert.equal(e.skewed, false);
    assert.deepEqual(e.backedBy, ['phones']);
    assert.equal(e.phonesBacking, 5, 'the wrong phone is not among those backing it');
  });

  it('many agreeing phones say the server is ahead, even on SQLite with nothing else', () => {
    // A server 45 s ahead sees codes one or two steps old, about half and half.
    const e = estimateClockError(evidence({ phones: phones(-1, -2, -2, -1, -2, -1, 2) }));
    assert.equal(e.skewed, true);
    assert.ok(e.errorSeconds! >= 40 && e.errorSeconds! <= 50, String(e.errorSeconds));
    assert.deepEqual(e.backedBy, ['phones']);
    assert.equal(e.phonesBacking, 6);
  });

  it('phones below the quorum tell nothing', () => {
    const e = estimateClockError(evidence({ phones: phones(-2, -2, -2, -2) }));
    assert.deepEqual([e.errorSeconds, e.skewed, e.witnesses.phones.accounts], [null, false, 4]);
  });

  it('no data: unknown, not skewed', () => {
    const e = estimateClockError(evidence({}));
    assert.deepEqual([e.errorSeconds, e.skewed, e.backedBy, e.phonesBacking], [null, false, [], 0]);
  });

  it('SQLite without a database clock: two instances that disagree cannot tell which is off', () => {
    const e = estimateClockError(evidence({ peers: [{ id: 'b', name: 'b:3000', offsetSeconds: 45 }] }));
    assert.equal(e.errorSeconds, null);
    assert.equal(e.skewed, false);
    assert.equal(e.witnesses.databaseOffsetSeconds, null);
  });

  it('SQLite without a database clock: the majority of instances decides', () => {
    const peers = [
      { id: 'a', name: 'a', offsetSeconds: -45 },
      { id: 'c', name: 'c', offsetSeconds: -44 },
    ];
    const skewed = estimateClockError(evidence({ peers }));
    assert.deepEqual([skewed.errorSeconds, skewed.skewed, skewed.backedBy], [45, true, ['instance:a', 'instance:c']]);
    const fine = estimateClockError(
      evidence({
        peers: [
          { id: 'b', name: 'b', offsetSeconds: 45 },
          { id: 'c', name: 'c', offsetSeconds: 1 },
        ],
      }),
    );
    assert.deepEqual([fine.errorSeconds, fine.skewed, fine.backedBy], [-1, false, ['instance:c']]);
  });

  it('a skewed instance on PostgreSQL: the database and the other instance agree it is off', () => {
    const e = estimateClockError(evidence({ databaseOffsetSeconds: 45.2, peers: [{ id: 'a', name: 'a', offsetSeconds: -45 }] }));
    assert.deepEqual([e.errorSeconds, e.skewed, e.backedBy], [45, true, ['database', 'instance:a']]);
  });

  it('the instance that is fine, next to a skewed one, stays fine', () => {
    const e = estimateClockError(evidence({ databaseOffsetSeconds: 0.3, peers: [{ id: 'b', name: 'b', offsetSeconds: 45 }] }));
    assert.deepEqual([e.errorSeconds, e.skewed, e.backedBy], [0, false, ['database']]);
    // Even when the phones signed in through the skewed one: they are explained by it.
    const withPhones = estimateClockError(
      evidence({ databaseOffsetSeconds: 0.3, peers: [{ id: 'b', name: 'b', offsetSeconds: 45 }], phones: phones(-1, -2, -1, -2, -1, -2) }),
    );
    assert.deepEqual([withPhones.errorSeconds, withPhones.skewed, withPhones.backedBy], [0, false, ['database', 'phones']]);
    // Phones that all read their code early in the step say 30 s, not 45: their vote through B is
    // -14 s, close enough to back "fine", but the value comes from the database's precise reading.
    const coarse = estimateClockError(
      evidence({ databaseOffsetSeconds: 0.3, peers: [{ id: 'b', name: 'b', offsetSeconds: 44 }], phones: phones(-1, -1, -1, -1, -1) }),
    );
    assert.deepEqual([coarse.errorSeconds, coarse.backedBy], [0, ['database', 'phones']]);
  });

  it('alone against the database, the database wins; the phones can overrule it', () => {
    const alone = estimateClockError(evidence({ databaseOffsetSeconds: 40 }));
    assert.deepEqual([alone.errorSeconds, alone.skewed], [40, true]);
    // The database server's clock is the one that is off: the phones see this server right.
    const overruled = estimateClockError(evidence({ databaseOffsetSeconds: 40, phones: phones(0, 0, 0, 0, 0) }));
    assert.deepEqual([overruled.errorSeconds, overruled.skewed, overruled.backedBy], [0, false, ['phones']]);
  });

  it('behind is negative', () => {
    const e = estimateClockError(evidence({ databaseOffsetSeconds: -50, phones: phones(2, 2, 1, 2, 2) }));
    assert.equal(e.skewed, true);
    assert.ok(e.errorSeconds! <= -45, String(e.errorSeconds));
  });
});

describe('blame for a failed code', () => {
  const skewed = estimateClockError(evidence({ databaseOffsetSeconds: 45, peers: [{ id: 'a', name: 'a', offsetSeconds: -45 }] }));
  const fine = estimateClockError(evidence({ databaseOffsetSeconds: 0 }));
  it('points at the server when the server is off and the phone looks fine', () => {
    assert.equal(blameForFailedCode(0, skewed), 'server_clock');
    assert.equal(blameForFailedCode(null, skewed), 'server_clock');
    assert.equal(blameForFailedCode(-45, skewed), 'server_clock', 'the phone appears off by exactly the server error');
  });
  it('points at the phone when the phone was drifting on its own', () => {
    assert.equal(blameForFailedCode(50, fine), 'phone_clock');
    assert.equal(blameForFailedCode(120, skewed), 'phone_clock');
  });
  it('points nowhere for a mistyped code', () => {
    assert.equal(blameForFailedCode(0, fine), null);
    assert.equal(blameForFailedCode(null, null), null);
  });
});
