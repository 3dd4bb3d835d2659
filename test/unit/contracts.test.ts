// Lists the contracts repeat from a layer they may not import (Prisma's enums), held equal here so
// they cannot drift apart.
import { describe, expect, it } from 'vitest';
import { Role, OrgKind } from '@prisma/client';
import { ROLES } from '../../src/contracts/common.js';
import { ORG_KINDS } from '../../src/contracts/account.js';

describe('contract enumerations', () => {
  it('name the roles and organization kinds the database stores', () => {
    expect([...ROLES].sort()).toEqual(Object.values(Role).sort());
    expect([...ORG_KINDS].sort()).toEqual(Object.values(OrgKind).sort());
  });
});
