import { Type, type Static } from 'typebox';
import { DateTime, IdParams, Nullable, pageQuery, paged, ProjectCodeParams, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

/** Sales projects (落单): a product catalogue per project, orders taken on successful calls. Money in whole cents (分). */

export const Product = Type.Object({
  id: Uuid,
  projectId: Uuid,
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer({ description: 'whole minor units (分/cents)' }),
  currency: Type.String(),
  active: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Product = Static<typeof Product>;

const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$' });
const Cents = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'whole minor units (分/cents)' });

export const listProducts = operation(
  'GET',
  '/projects/:code/products',
  {
    operationId: 'listProducts',
    tags: ['orders'],
    summary: "A project's product catalogue",
    params: ProjectCodeParams,
    response: { 200: Type.Object({ items: Type.Array(Product) }) },
  },
  [403, 404],
);

export const createProduct = operation(
  'POST',
  '/projects/:code/products',
  {
    operationId: 'createProduct',
    tags: ['orders'],
    summary: 'Add a product to the catalogue (audited)',
    params: ProjectCodeParams,
    body: Type.Object(
      {
        sku: Sku,
        name: Type.String({ minLength: 1, maxLength: 200 }),
        priceCents: Cents,
        currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; CNY by default' })),
      },
      strict,
    ),
    response: { 201: Product },
  },
  [403, 404, 409],
);

export const updateProduct = operation(
  'PATCH',
  '/products/:id',
  {
    operationId: 'updateProduct',
    tags: ['orders'],
    summary: 'Rename, reprice or withdraw a product; orders keep the price they were sold at (audited)',
    params: IdParams,
    body: Type.Object(
      {
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        priceCents: Type.Optional(Cents),
        active: Type.Optional(Type.Boolean()),
      },
      strict,
    ),
    response: { 200: Product },
  },
  [403, 404],
);

export const OrderLine = Type.Object({
  productId: Uuid,
  sku: Type.String(),
  name: Type.String(),
  quantity: Type.Integer(),
  unitPriceCents: Type.Integer(),
  amountCents: Type.Integer(),
});

export const Order = Type.Object({
  id: Uuid,
  projectId: Uuid,
  contactId: Uuid,
  attemptId: Uuid,
  agentUserId: Nullable(Uuid),
  amountCents: Type.Integer(),
  currency: Type.String(),
  createdAt: DateTime,
  lines: Type.Array(OrderLine),
});
export type Order = Static<typeof Order>;

/** What a disposition brings to record an order (success codes only). */
export const OrderInput = Type.Object(
  {
    lines: Type.Array(Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 10_000 }) }, strict), {
      minItems: 1,
      maxItems: 100,
    }),
  },
  strict,
);

export const listOrders = operation(
  'GET',
  '/orders',
  {
    operationId: 'listOrders',
    tags: ['orders'],
    summary: 'Orders, newest first, with their total value (agents: their own)',
    querystring: pageQuery({
      project: Type.Optional(Type.String({ maxLength: 40 })),
      from: Type.Optional(Type.String({ format: 'date-time' })),
      to: Type.Optional(Type.String({ format: 'date-time' })),
    }),
    response: { 200: Type.Object({ ...paged(Order).properties, amountCents: Type.Integer() }) },
  },
  [403, 404],
);

export const getOrder = operation(
  'GET',
  '/orders/:id',
  {
    operationId: 'getOrder',
    tags: ['orders'],
    summary: 'One order with its lines (agents: their own)',
    params: IdParams,
    response: { 200: Order },
  },
  [403, 404],
);
