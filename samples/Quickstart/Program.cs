System.Console.WriteLine("LocalBatch quickstart");
