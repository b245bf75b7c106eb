// Query shapes: operators, projection, sort/skip/limit, counts, cursor helpers.
import { MongoClient } from 'mongodb';

interface Movie {
  _id: number;
  title: string;
  year: number;
  genres: string[];
  rating?: { imdb: number; votes: number };
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const movies = client.db('sample_mflix').collection<Movie>('movies');
  const genres = ['Drama', 'Comedy', 'Action', 'Horror'];
  await movies.insertMany(
    Array.from({ length: 40 }, (_, i) => ({
      _id: i,
      title: `Movie ${String(i).padStart(2, '0')}`,
      year: 1980 + (i % 30),
      genres: [genres[i % 4]!, genres[(i * 3) % 4]!],
      ...(i % 5 === 0 ? {} : { rating: { imdb: (i % 10) + 0.5, votes: i * 100 } }),
    })),
  );
  console.log(await movies.countDocuments({ year: { $gte: 2000 } }));
  console.log(await movies.countDocuments({}, { skip: 5, limit: 10 }));
  console.log(await movies.estimatedDocumentCount());
  console.log(await movies.find({ genres: { $all: ['Drama', 'Action'] } }, { projection: { _id: 0, title: 1 } }).toArray());
  console.log(await movies.find({ 'rating.imdb': { $gt: 8 }, year: { $in: [1988, 1998, 2008] } }).project({ title: 1, 'rating.imdb': 1 }).toArray());
  console.log(await movies.find({ rating: { $exists: false } }).sort({ year: -1, _id: 1 }).skip(2).limit(3).toArray());
  console.log(await movies.find({ title: { $regex: /^movie 1/i } }).sort({ _id: -1 }).map((m) => m.title).toArray());
  console.log(await movies.find({ $or: [{ year: 1980 }, { 'rating.votes': { $gte: 3800 } }] }, { sort: { _id: 1 }, projection: { genres: { $slice: 1 } } }).toArray());
  console.log(await movies.find({ genres: { $elemMatch: { $eq: 'Horror' } }, _id: { $mod: [7, 0] } }).toArray());
  console.log(await movies.findOne({ year: { $type: 'int' } }, { sort: { year: -1 }, projection: { year: 1 } }));
  console.log(await movies.findOne({ _id: 1000 }));
  const cursor = movies.find({ year: 1990 }).batchSize(1);
  console.log(await cursor.hasNext(), (await cursor.next())?.title, await cursor.hasNext());
  let seen = 0;
  await cursor.forEach((m) => {
    seen += m._id;
  });
  console.log('forEach sum', seen, cursor.closed);
  cursor.rewind();
  console.log('rewound', (await cursor.toArray()).length);
  const lastYear = await movies.find().sort({ year: -1 }).limit(1).next();
  console.log(lastYear?.year);
  console.log(await movies.distinct('year', { genres: 'Comedy' }));
  console.log(await movies.distinct('rating.imdb'));
} finally {
  await client.close();
}
console.log('done');
