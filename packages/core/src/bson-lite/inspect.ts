/**
 * How bson-lite values print in the runtimes' inspectors (runtime/inspect-hooks.ts):
 * the constructor call js-bson 7 prints, e.g. `new ObjectId('…')`,
 * `new Timestamp({ t: 1, i: 2 })`, instead of the class's private fields. Duck-typed on
 * `_bsontype`, so it imports no value class (values.ts installs it on BSONValue).
 */
type Fields = Record<string, any>;

const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function inspectBSONValue(v: Fields): string {
  const t: string = v._bsontype;
  switch (t) {
    case 'ObjectId':
      return `new ObjectId(${q(v.toHexString())})`;
    case 'Timestamp':
      return `new Timestamp({ t: ${v.high >>> 0}, i: ${v.low >>> 0} })`;
    case 'Long':
      return `new Long(${q(v.toString())}${v.unsigned ? ', true' : ''})`;
    case 'Binary':
      return v.sub_type == 4 && v.buffer?.length == 16
        ? `new UUID(${q(v.toUUID().toHexString())})`
        : `Binary.createFromBase64(${q(v.toJSON())}, ${v.sub_type})`;
    case 'Code':
      return `new Code(${q(v.code)}${v.scope ? `, ${JSON.stringify(v.scope)}` : ''})`;
    case 'DBRef':
      return `new DBRef(${q(v.collection)}, ${inspectBSONValue(v.oid)}${v.db ? `, ${q(v.db)}` : ''})`;
    case 'BSONRegExp':
      return `new BSONRegExp(${q(v.pattern)}, ${q(v.options)})`;
    case 'MinKey':
    case 'MaxKey':
      return `new ${t}()`;
    case 'BSONSymbol':
    case 'Decimal128':
      return `new ${t}(${q(v.toString())})`;
    default:
      // Double, Int32: a boxed number.
      return `new ${t}(${v.valueOf()})`;
  }
}
