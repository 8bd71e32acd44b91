import { describe, expect, it } from 'vitest';
import { cnpjFromBase, cpfFromBase, formatCnpj, formatCpf, isValidCnpj, isValidCpf, maskDocuments } from './documents.js';

describe('CPF', () => {
  it.each(['529.982.247-25', '52998224725', '111.444.777-35', '390.533.447-05'])('%s is valid', (cpf) => {
    expect(isValidCpf(cpf)).toBe(true);
  });
  it.each(['529.982.247-24', '52998224735', '111.111.111-11', '00000000000', '1234567890', '123456789012', '', 'abc.def.ghi-jk'])('%s is invalid', (cpf) => {
    expect(isValidCpf(cpf)).toBe(false);
  });
  it('formats digits', () => {
    expect(formatCpf('52998224725')).toBe('529.982.247-25');
  });
  it.each([
    ['529982247', '529.982.247-25'],
    ['111444777', '111.444.777-35'],
    ['390533447', '390.533.447-05'],
  ])('completes %s with its check digits', (base, cpf) => {
    expect(cpfFromBase(base)).toBe(cpf);
  });
});

describe('CNPJ', () => {
  it.each(['11.222.333/0001-81', '11222333000181', '45.723.174/0001-10', '04.252.011/0001-10'])('%s is valid', (cnpj) => {
    expect(isValidCnpj(cnpj)).toBe(true);
  });
  it.each(['11.222.333/0001-82', '11222333000191', '00.000.000/0000-00', '1122233300018', ''])('%s is invalid', (cnpj) => {
    expect(isValidCnpj(cnpj)).toBe(false);
  });
  it('formats digits', () => {
    expect(formatCnpj('11222333000181')).toBe('11.222.333/0001-81');
  });
});

describe('CNPJ check digits', () => {
  it.each([
    ['112223330001', '11.222.333/0001-81'],
    ['457231740001', '45.723.174/0001-10'],
    ['042520110001', '04.252.011/0001-10'],
  ])('completes %s with its check digits', (base, cnpj) => {
    expect(cnpjFromBase(base)).toBe(cnpj);
  });
});

describe('maskDocuments', () => {
  it.each([
    ['cpf 529.982.247-25 here', 'cpf [DOCUMENT] here'],
    ['bare 52998224725.', 'bare [DOCUMENT].'],
    ['cnpj 11.222.333/0001-81', 'cnpj [DOCUMENT]'],
    ['bare cnpj 11222333000181', 'bare cnpj [DOCUMENT]'],
    ['Key (document)=(52998224725) already exists.', 'Key (document)=([DOCUMENT]) already exists.'],
  ])('masks %s', (input, expected) => {
    expect(maskDocuments(input)).toBe(expected);
  });
  it.each(['time 1763900000000', 'id 123456789012', 'port 8000', 'a 1234567890123456 b', 'took 8.12345678901234 ms', 'took 8.12345678901 ms'])(
    'leaves %s alone',
    (input) => {
      expect(maskDocuments(input)).toBe(input);
    },
  );
});
