// Finding the Droplet a message names, for the "Run a Droplet action" message shortcut.
import { describe, expect, it } from 'vitest';
import { dropletsNamedIn } from '../../src/domain/droplet-mentions.js';

const droplets = [
  { id: 3164494, name: 'web-1' },
  { id: 3164495, name: 'web-10' },
  { id: 3164496, name: 'db.prod' },
];
const names = (text: string) => dropletsNamedIn(text, droplets).map((d) => d.name);

describe('dropletsNamedIn', () => {
  it('finds a name as a whole word, whatever its case, with punctuation around it', () => {
    expect(names('[FIRING:1] HighCPU on web-1 (nyc3)')).toEqual(['web-1']);
    expect(names('Please restart WEB-1.')).toEqual(['web-1']);
    expect(names('web-10 is down')).toEqual(['web-10']);
    expect(names('db.prod: disk 91%')).toEqual(['db.prod']);
    expect(names('db.production is fine')).toEqual([]);
    expect(names('myweb-1 and web-1x')).toEqual([]);
  });

  it('finds an ID as a whole number', () => {
    expect(names('droplet_id=3164496 CPU above 90%')).toEqual(['db.prod']);
    expect(names('31644960 is not one')).toEqual([]);
  });

  it('names each Droplet once, in the order the text names them', () => {
    expect(names('web-10 then web-1, and web-10 again (3164494)')).toEqual(['web-10', 'web-1']);
    expect(names('nothing here')).toEqual([]);
  });
});
