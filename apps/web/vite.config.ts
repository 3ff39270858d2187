import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * `npm run build` (root) writes apps/web/dist, which the server serves at `/`.
 * `npm run dev` serves the app with hot reload and proxies the API and the live connection
 * to a server started separately (OUTDIAL_API, default http://127.0.0.1:8080).
 */
const api = process.env.OUTDIAL_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    port: Number(process.env.PORT ?? 5173),
    proxy: {
      '/api/v1/ws': { target: api, ws: true },
      '/api': { target: api },
      '/healthz': { target: api },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/, priority: 30 },
            { name: 'charts', test: /node_modules[\\/](echarts|zrender|echarts-for-react)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
});
