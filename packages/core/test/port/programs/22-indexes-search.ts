// Index kinds an application creates, and the queries that use them: partial, TTL, text, collation, hint.
import { MongoClient } from 'mongodb';

interface Article {
  _id: number;
  title: string;
  body: string;
  author: string;
  published?: boolean;
  createdAt: Date;
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const articles = client.db('blog').collection<Article>('articles');
  const created = await articles.createIndexes([
    { key: { author: 1, createdAt: -1 }, name: 'author_recent' },
    { key: { title: 1 }, name: 'published_titles', partialFilterExpression: { published: true } },
    { key: { createdAt: 1 }, name: 'expire', expireAfterSeconds: 3600 * 24 * 365 * 100 },
    { key: { title: 'text', body: 'text' }, name: 'search', weights: { title: 5 } },
  ]);
  console.log(created);
  console.log(await articles.createIndex({ author: 1 }, { collation: { locale: 'en', strength: 2 }, name: 'author_ci' }));
  await articles.insertMany([
    { _id: 1, title: 'Coffee brewing basics', body: 'Grind fresh beans and use hot water', author: 'Ada', published: true, createdAt: new Date('2024-05-01T00:00:00Z') },
    { _id: 2, title: 'Tea or coffee', body: 'A comparison of caffeine in tea and coffee', author: 'ada', published: false, createdAt: new Date('2024-05-02T00:00:00Z') },
    { _id: 3, title: 'Hiking trails', body: 'The best mountain trails in spring', author: 'Linus', published: true, createdAt: new Date('2024-05-03T00:00:00Z') },
  ]);
  const hits = await articles
    .find({ $text: { $search: 'coffee' } }, { projection: { title: 1, score: { $meta: 'textScore' } } })
    .sort({ score: { $meta: 'textScore' } })
    .toArray();
  console.log(hits.map((h) => h.title));
  console.log(await articles.countDocuments({ $text: { $search: '-coffee trails' } }));
  console.log(await articles.find({ author: 'ADA' }).collation({ locale: 'en', strength: 2 }).sort({ _id: 1 }).project({ _id: 1 }).toArray());
  console.log(await articles.find({ author: 'Ada' }).hint('author_recent').project({ _id: 1 }).toArray());
  console.log(await articles.find({ author: 'Ada' }).hint({ author: 1, createdAt: -1 }).count());
  await articles
    .find({})
    .hint('no_such_index')
    .toArray()
    .catch((e) => console.log('hint error', e.code, e.codeName));
  const names = (await articles.listIndexes().toArray()).map((i) => [i.name, i.key, i.unique ?? false, i.expireAfterSeconds ?? null]);
  console.log(names);
  console.log(await articles.indexInformation());
  console.log(await articles.dropIndex('author_ci'), await articles.indexExists(['author_recent', 'search']));
  await articles.dropIndex('missing').catch((e) => console.log('drop error', e.code, e.codeName));
  await articles.createIndex({ title: 1 }, { name: 'published_titles', unique: true }).catch((e) => console.log('conflict', e.code, e.codeName));
  console.log(await articles.dropIndexes(), (await articles.indexes()).length);
} finally {
  await client.close();
}
console.log('done');
