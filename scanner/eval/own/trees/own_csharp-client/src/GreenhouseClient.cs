using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;

namespace Acme.Recruiting
{
    public class GreenhouseClient
    {
        private readonly HttpClient _http;

        public GreenhouseClient(HttpClient http, string apiKey, long onBehalfOf)
        {
            _http = http;
            _http.BaseAddress = new Uri("https://harvest.greenhouse.io/v1/");
            var token = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{apiKey}:"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
            _http.DefaultRequestHeaders.Add("On-Behalf-Of", onBehalfOf.ToString());
        }

        public Task<string> GetUserAsync(long id) => _http.GetStringAsync($"users/{id}");

        public Task<string> ListOffersAsync(int page) => _http.GetStringAsync($"offers?page={page}&per_page=100");

        public async Task<HttpResponseMessage> HireAsync(long applicationId, string json)
        {
            var content = new StringContent(json, Encoding.UTF8, "application/json");
            return await _http.PostAsync($"applications/{applicationId}/hire", content);
        }

        public Task<HttpResponseMessage> DeleteTagAsync(long candidateId, long tagId) =>
            _http.DeleteAsync($"candidates/{candidateId}/tags/{tagId}");
    }
}
