import { Type, type Static } from '@sinclair/typebox';
import { cnpjFromBase, cpfFromBase } from '../../shared/documents.js';
import { Email, Line, PageQuery, Phone, SortQuery, Text, Uuid } from '../../shared/schemas.js';

/** Person (CPF) or company (CNPJ). */
export const CustomerKind = Type.Union([Type.Literal('person'), Type.Literal('company')]);

const Document = Type.String({
  minLength: 11,
  maxLength: 18,
  pattern: '^[0-9./-]+$',
  description: 'CPF (person) or CNPJ (company), formatted or digits',
  examples: ['529.982.247-25'],
});

/** A customer as the API shows it. */
export const CustomerSchema = Type.Object(
  {
    id: Uuid(),
    kind: CustomerKind,
    name: Type.String(),
    document: Type.Union([Type.String(), Type.Null()], { description: 'formatted CPF/CNPJ' }),
    email: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    address: Type.Union([Type.String(), Type.Null()]),
    notes: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean(),
    version: Type.Integer({ description: 'send it back when updating' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Customer' },
);
/** A customer. */
export type Customer = Static<typeof CustomerSchema>;

/** `POST /api/customers` body. */
export const CreateCustomerBody = Type.Object(
  {
    kind: CustomerKind,
    name: Line(200),
    document: Type.Optional(Document),
    email: Type.Optional(Email),
    phone: Type.Optional(Phone),
    address: Type.Optional(Text(300)),
    notes: Type.Optional(Text(2000)),
  },
  {
    additionalProperties: false,
    examples: [
      {
        kind: 'person',
        name: 'João Pedro Santos',
        document: cpfFromBase('148562379'),
        email: 'joao.santos@example.com.br',
        phone: '(21) 99876-5432',
        address: 'Rua Voluntários da Pátria, 45 - Botafogo, Rio de Janeiro - RJ',
      },
      { kind: 'company', name: 'Padaria Pão Quente Ltda', document: cnpjFromBase('112223330001'), email: 'compras@paoquente.com.br', phone: '(11) 3456-7890' },
    ],
  },
);
/** A new customer. */
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

/** `PATCH /api/customers/:id` body: the version read, plus the fields to change (null clears). */
export const UpdateCustomerBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    kind: Type.Optional(CustomerKind),
    name: Type.Optional(Line(200)),
    document: Type.Optional(Type.Union([Document, Type.Null()])),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    address: Type.Optional(Type.Union([Text(300), Type.Null()])),
    notes: Type.Optional(Type.Union([Text(2000), Type.Null()])),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, examples: [{ version: 1, phone: '(21) 98888-7777', notes: 'Prefere contato por WhatsApp.' }] },
);
/** Changes to a customer. */
export type UpdateCustomerBody = Static<typeof UpdateCustomerBody>;

/** Sort orders of the list: by name (default) or creation, `-` for descending. */
export const CustomerSort = SortQuery('name');

/** `GET /api/customers` query. */
export const ListCustomersQuery = Type.Object(
  { ...PageQuery, q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), sort: Type.Optional(CustomerSort), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
/** List parameters. */
export type ListCustomersQuery = Static<typeof ListCustomersQuery>;
