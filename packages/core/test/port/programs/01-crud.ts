// Insert, find, update, replace and delete documents (CRUD usage examples).
import { MongoClient } from 'mongodb';

interface Movie {
  _id: number;
  title: string;
  year: number;
  genres?: string[];
}

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017');
try {
  const movies = client.db('sample_mflix').collection<Movie>('movies');
  console.log(await movies.insertOne({ _id: 1, title: 'Back to the Future', year: 1985 }));
  console.log(
    await movies.insertMany([
      { _id: 2, title: 'The Matrix', year: 1999, genres: ['Action'] },
      { _id: 3, title: 'Arrival', year: 2016 },
      { _id: 4, title: 'Alien', year: 1979 },
    ]),
  );
  console.log(await movies.findOne({ title: 'The Matrix' }));
  console.log(await movies.findOne({ year: { $gt: 2000 } }, { projection: { _id: 0, title: 1 } }));
  console.log(await movies.updateOne({ _id: 3 }, { $set: { genres: ['Drama'] } }));
  console.log(await movies.updateMany({ year: { $lt: 1990 } }, { $inc: { year: 1 } }));
  console.log(await movies.updateOne({ _id: 9 }, { $set: { title: 'Up', year: 2009 } }, { upsert: true }));
  console.log(await movies.replaceOne({ _id: 4 }, { title: 'Aliens', year: 1986 }));
  console.log(await movies.deleteOne({ _id: 9 }));
  console.log(await movies.deleteMany({ year: { $gte: 1999 } }));
  console.log(await movies.find().sort({ _id: 1 }).toArray());
} finally {
  await client.close();
}
console.log('done');
