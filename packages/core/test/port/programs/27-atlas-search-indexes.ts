// Atlas Search index management against a server without Atlas Search: each helper reaches the
// server, which refuses it; the application sees the same error with either driver.
import { MongoClient, MongoServerError, type SearchIndexDescription } from 'mongodb';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
const show = (step: string) => (e: unknown) => {
  if (e instanceof MongoServerError) console.log(step, e.name, e.code, e.codeName, e.message);
  else console.log(step, 'other', e);
};
try {
  const movies = client.db('search').collection('movies');
  await movies.insertOne({ _id: 1, title: 'Arrival', plot_embedding: [0.1, 0.2, 0.3] } as never);
  const text: SearchIndexDescription = { name: 'default', definition: { mappings: { dynamic: true } } };
  const vector: SearchIndexDescription = {
    name: 'plots',
    type: 'vectorSearch',
    definition: { fields: [{ type: 'vector', path: 'plot_embedding', numDimensions: 3, similarity: 'cosine' }] },
  };
  await movies.createSearchIndex(text).then((name) => console.log('created', name), show('createSearchIndex'));
  await movies.createSearchIndexes([text, vector]).then((names) => console.log('created', names), show('createSearchIndexes'));
  await movies.listSearchIndexes().toArray().then((all) => console.log('indexes', all), show('listSearchIndexes'));
  await movies.listSearchIndexes('plots', { batchSize: 10 }).toArray().then((one) => console.log('index', one), show('listSearchIndexes(name)'));
  await movies.updateSearchIndex('default', { mappings: { dynamic: false } }).then(() => console.log('updated'), show('updateSearchIndex'));
  await movies.dropSearchIndex('plots').then(() => console.log('dropped'), show('dropSearchIndex'));
  console.log('documents', await movies.countDocuments());
} finally {
  await client.close();
}
console.log('done');
